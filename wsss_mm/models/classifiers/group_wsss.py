"""Group-WSSS: a CAM network whose features pass a graph over groups of images."""

from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS

from .cam_classifier import CAMClassifier, stack_labels

CAM_SOURCES = ('intermediate', 'graph', 'ensemble')
GRAPH_NODES = ('features', 'class_maps')


@MODELS.register_module()
class GroupWSSS(CAMClassifier):
    """Group-WSSS (seed 004, Eqs. 1-12): a map of each image is a node of a
    graph over its group of K images
    (:class:`~wsss_mm.models.necks.GroupGNN`: co-attention, ConvGRU, graph
    dropout). Two readouts classify, before the graph (the intermediate
    output) and after it (the graph output), and the loss is Eq. 12::

        L = λ · MLSM(pre-graph logits, y) + MLSM(post-graph logits, y)   (λ = 0.4)

    The nodes (``graph_nodes``) are

    - ``'features'`` (the paper): the backbone's (and neck's) feature map
      ``h⁰``; the readouts are ``aux_head`` on ``h⁰`` and ``head`` on ``h^T``,
      or with ``aux_head=None`` one readout, ``head``, on both (the code's
      single classifier);
    - ``'class_maps'`` (the authors' code): the C class maps of ``head``'s
      1x1 classifier, ``M⁰ = h⁰ · W + b`` (``head.class_maps``); the graph
      runs on them (``gnn.in_channels = C``) and both readouts are their
      global average, ``GAP(M⁰)`` and ``GAP(M^T)`` (``aux_head`` must be None).

    Training batches must be whole groups (``GroupSampler``; the neck checks
    that the batch is a multiple of K).

    CAMs (the CAM network protocol) come from ``cam_source``:
    ``'intermediate'`` (before the graph), ``'graph'`` (after it) or
    ``'ensemble'`` (the default, the paper's self-ensembling: the average of
    the two maps, expressed as one linear map on the concatenated maps, e.g.
    ``[h⁰, h^T]`` with the weights ``[W_aux, W] / 2``). With class-map nodes
    the CAM features are the class maps themselves and the weights the
    identity. At inference the images are single nodes with a self-edge only,
    the paper's default; within :meth:`grouped` a batch is a group of images
    whose edges come from their labels (``tools/infer_cams.py --group-size K``).

    The authors' maps are made during training (``GroupCAMAccumulationHook``):
    while :attr:`record_train_cams` is set, :meth:`loss` keeps the batch's
    maps of ``cam_source`` and the graph readout's scores in
    :attr:`train_cams`.

    Args:
        backbone (dict): e.g. ``mmpretrain.ResNet``.
        head (dict): the graph readout (with ``'class_maps'``: the 1x1
            classifier that makes the nodes), e.g. ``GAPClassifierHead``.
        aux_head (dict, optional): the intermediate readout, same kind; None:
            ``head`` reads out both. Default: None.
        gnn (dict): the graph neck, e.g. ``dict(type='GroupGNN', in_channels=K)``.
        lambda_pre (float): λ. Default: 0.4.
        cam_source (str): one of ``CAM_SOURCES``. Default: 'ensemble'.
        graph_nodes (str): one of ``GRAPH_NODES``. Default: 'features'.
        **kwargs: :class:`CAMClassifier`'s ``neck``, ``freeze_bn``,
            ``data_preprocessor``, ``init_cfg``.

    Raises:
        ValueError: a bad ``cam_source`` or ``graph_nodes``, an ``aux_head``
            with class-map nodes, or a graph whose ``in_channels`` is not the
            nodes' channels.
    """

    def __init__(
        self,
        backbone: dict,
        head: dict,
        gnn: dict,
        aux_head: Optional[dict] = None,
        lambda_pre: float = 0.4,
        cam_source: str = 'ensemble',
        graph_nodes: str = 'features',
        **kwargs,
    ) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)
        if cam_source not in CAM_SOURCES:
            raise ValueError(
                f'GroupWSSS: cam_source must be one of {CAM_SOURCES}, got "{cam_source}"'
            )
        if graph_nodes not in GRAPH_NODES:
            raise ValueError(
                f'GroupWSSS: graph_nodes must be one of {GRAPH_NODES}, got "{graph_nodes}"'
            )
        if graph_nodes == 'class_maps' and aux_head is not None:
            raise ValueError(
                'GroupWSSS: with graph_nodes="class_maps" both readouts are the class maps\' '
                'average: set aux_head=None'
            )
        self.aux_head = MODELS.build(aux_head) if aux_head is not None else None
        self.gnn = MODELS.build(gnn)
        node_channels = self.num_classes if graph_nodes == 'class_maps' else self.head.in_channels
        if self.gnn.in_channels != node_channels:
            raise ValueError(
                f'GroupWSSS: the graph nodes ({graph_nodes}) have {node_channels} channels, '
                f'the graph in_channels={self.gnn.in_channels}'
            )
        self.lambda_pre = lambda_pre
        self.cam_source = cam_source
        self.graph_nodes = graph_nodes
        self.record_train_cams = False
        self.train_cams: Optional[dict] = None
        self._group_labels: Optional[torch.Tensor] = None

    @property
    def pre_head(self):
        """The intermediate readout's head (``head`` when it is shared)."""
        return self.aux_head if self.aux_head is not None else self.head

    @contextmanager
    def grouped(self, labels: torch.Tensor) -> Iterator[None]:
        """Group inference: within the context, :meth:`extract_feat` takes its
        batch as copies of one group of K images, e.g. the images then their
        flips, as :func:`~wsss_mm.cams.multiscale_cams` batches them, and the
        graph's edges join the images sharing a class (as in training).

        Args:
            labels (Tensor): (K, C) multi-hot labels of the group's images.
        """
        self._group_labels = labels
        try:
            yield
        finally:
            self._group_labels = None

    def _graph_edges(self, num_images: int) -> Tuple[Optional[torch.Tensor], Optional[int]]:
        """The neck's ``(labels, group_size)`` for a batch of ``num_images``:
        ``(None, None)`` (self-edges only) outside :meth:`grouped`.

        Raises:
            ValueError: in :meth:`grouped`, the batch is not copies of the group.
        """
        if self._group_labels is None:
            return None, None
        size = len(self._group_labels)
        if num_images % size:
            raise ValueError(
                f'GroupWSSS.grouped: a batch of {num_images} images is not copies of the '
                f'group of {size}; the CAM method must run the network on the whole batch'
            )
        return self._group_labels.repeat(num_images // size, 1), size

    # ---- CAM network protocol -------------------------------------------------
    def nodes(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> the graph's input: ``h⁰`` (B, K, h, w) or, with
        class-map nodes, ``M⁰`` (B, C, h, w)."""
        h0 = super().extract_feat(inputs)
        return self.head.class_maps(h0) if self.graph_nodes == 'class_maps' else h0

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> the CAM features: the nodes before the graph
        (B, K, h, w), after it (self-edges only, or the group's edges within
        :meth:`grouped`), or both concatenated (B, 2K, h, w); K = C with
        class-map nodes."""
        before = self.nodes(inputs)
        if self.cam_source == 'intermediate':
            return before
        after = self.gnn(before, *self._graph_edges(len(inputs)))
        return after if self.cam_source == 'graph' else torch.cat([before, after], dim=1)

    def readout_weights(self, head) -> torch.Tensor:
        """(C, K): a readout's linear classifier on the nodes: the head's
        weights, or the identity on class-map nodes."""
        weights = head.cam_weights()
        if self.graph_nodes == 'class_maps':
            return torch.eye(self.num_classes, dtype=weights.dtype, device=weights.device)
        return weights

    def cam_weights(self) -> torch.Tensor:
        """(C, K) or, for ``'ensemble'``, (C, 2K) = ``[W_pre, W] / 2``."""
        if self.cam_source == 'intermediate':
            return self.readout_weights(self.pre_head)
        if self.cam_source == 'graph':
            return self.readout_weights(self.head)
        pre, post = self.readout_weights(self.pre_head), self.readout_weights(self.head)
        return 0.5 * torch.cat([pre, post], dim=1)

    def predict_logits(self, feats: torch.Tensor) -> torch.Tensor:
        """GAP of the CAM features times :meth:`cam_weights`: (B, C)."""
        return F.adaptive_avg_pool2d(feats, 1).flatten(1) @ self.cam_weights().t()

    @property
    def linear_cam(self) -> bool:
        """The logits are exactly ``GAP(feats) @ cam_weights().T``."""
        return True

    # ---- MMEngine -----------------------------------------------------------
    def training_maps(self, inputs: torch.Tensor) -> dict:
        raise NotImplementedError('GroupWSSS trains with its labels: use mode="loss"')

    def readout(self, head, nodes: torch.Tensor) -> torch.Tensor:
        """(B, K, h, w) nodes -> (B, C) logits: the head, or the class maps'
        average."""
        if self.graph_nodes == 'class_maps':
            return F.adaptive_avg_pool2d(nodes, 1).flatten(1)
        return head(nodes)

    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> dict:
        """``loss_cls`` (graph readout) and ``loss_pre`` (λ · intermediate
        readout); with :attr:`record_train_cams`, the batch's maps in
        :attr:`train_cams`.

        Raises:
            ValueError: the batch is not made of whole groups.
        """
        labels = stack_labels(data_samples).to(inputs.device)
        before = self.nodes(inputs)
        (pre,) = self.pre_head.loss(self.readout(self.pre_head, before), labels).values()
        after = self.gnn(before, labels)
        logits = self.readout(self.head, after)
        losses = self.head.loss(logits, labels)
        if self.record_train_cams:
            self.keep_train_cams(before, after, logits, inputs, data_samples)
        return dict(losses, loss_pre=self.lambda_pre * pre)

    @torch.no_grad()
    def keep_train_cams(
        self,
        before: torch.Tensor,
        after: torch.Tensor,
        logits: torch.Tensor,
        inputs: torch.Tensor,
        data_samples: List[SegDataSample],
    ) -> None:
        """Sets :attr:`train_cams` to a dict of the batch's ``cams``
        (B, C, h, w) (the class maps of ``cam_source``, before ReLU, detached),
        ``scores`` (B, C) (the graph readout's sigmoid), ``group_size`` (K),
        ``input_shape`` (H, W) of the network's input and the
        ``data_samples``."""
        feats = dict(intermediate=before, graph=after)
        feats = feats.get(self.cam_source, torch.cat([before, after], dim=1))
        self.train_cams = dict(
            cams=self.class_maps(feats).detach(),
            scores=logits.detach().sigmoid(),
            group_size=self.gnn.group_size,
            input_shape=tuple(inputs.shape[-2:]),
            data_samples=data_samples,
        )
