"""Group-WSSS: a CAM network whose features pass a graph over groups of images."""

from contextlib import contextmanager
from typing import Iterator, List, Optional, Tuple

import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS

from .cam_classifier import CAMClassifier, stack_labels

CAM_SOURCES = ('intermediate', 'graph', 'ensemble')


@MODELS.register_module()
class GroupWSSS(CAMClassifier):
    """Group-WSSS (seed 004, Eqs. 1-12): the backbone's feature map ``h⁰`` of
    each image is a node of a graph over its group of K images
    (:class:`~wsss_mm.models.necks.GroupGNN`: co-attention, ConvGRU, graph
    dropout), which gives ``h^T``. Two readouts classify: ``aux_head`` on
    ``h⁰`` (the intermediate output) and ``head`` on ``h^T`` (the graph
    output), and the loss is Eq. 12::

        L = λ · MLSM(aux_head(h⁰), y) + MLSM(head(h^T), y)        (λ = 0.4)

    Training batches must be whole groups (``GroupSampler``; the neck checks
    that the batch is a multiple of K).

    CAMs (the CAM network protocol) come from ``cam_source``:
    ``'intermediate'`` (``h⁰`` and ``aux_head``'s classifier), ``'graph'``
    (``h^T`` and ``head``'s) or ``'ensemble'`` (the default, the paper's
    self-ensembling: the average of the two maps, expressed as one linear map
    on ``[h⁰, h^T]`` with the weights ``[W_aux, W] / 2``). At inference the
    images are single nodes with a self-edge only, the paper's default;
    within :meth:`grouped` a batch is a group of images whose edges come
    from their labels (``tools/infer_cams.py --group-size K``).

    Args:
        backbone (dict): e.g. ``mmpretrain.ResNet``.
        head (dict): the graph readout, e.g. ``GAPClassifierHead``.
        aux_head (dict): the intermediate readout, same kind.
        gnn (dict): the graph neck, e.g. ``dict(type='GroupGNN', in_channels=K)``.
        lambda_pre (float): λ. Default: 0.4.
        cam_source (str): one of ``CAM_SOURCES``. Default: 'ensemble'.
        **kwargs: :class:`CAMClassifier`'s ``freeze_bn``,
            ``data_preprocessor``, ``init_cfg``.
    """

    def __init__(
        self,
        backbone: dict,
        head: dict,
        aux_head: dict,
        gnn: dict,
        lambda_pre: float = 0.4,
        cam_source: str = 'ensemble',
        **kwargs,
    ) -> None:
        super().__init__(backbone=backbone, head=head, **kwargs)
        if cam_source not in CAM_SOURCES:
            raise ValueError(
                f'GroupWSSS: cam_source must be one of {CAM_SOURCES}, got "{cam_source}"'
            )
        self.aux_head = MODELS.build(aux_head)
        self.gnn = MODELS.build(gnn)
        self.lambda_pre = lambda_pre
        self.cam_source = cam_source
        self._group_labels: Optional[torch.Tensor] = None

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
    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) -> the CAM features: ``h⁰`` (B, K, h, w), ``h^T``
        (self-edges only, or the group's edges within :meth:`grouped`), or both
        concatenated (B, 2K, h, w)."""
        h0 = super().extract_feat(inputs)
        if self.cam_source == 'intermediate':
            return h0
        h_t = self.gnn(h0, *self._graph_edges(len(inputs)))
        return h_t if self.cam_source == 'graph' else torch.cat([h0, h_t], dim=1)

    def cam_weights(self) -> torch.Tensor:
        """(C, K) or, for ``'ensemble'``, (C, 2K) = ``[W_aux, W] / 2``."""
        if self.cam_source == 'intermediate':
            return self.aux_head.cam_weights()
        if self.cam_source == 'graph':
            return self.head.cam_weights()
        return 0.5 * torch.cat([self.aux_head.cam_weights(), self.head.cam_weights()], dim=1)

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

    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> dict:
        """``loss_cls`` (graph readout) and ``loss_pre`` (λ · intermediate readout).

        Raises:
            ValueError: the batch is not made of whole groups.
        """
        labels = stack_labels(data_samples).to(inputs.device)
        h0 = super().extract_feat(inputs)
        (pre,) = self.aux_head.loss(self.aux_head(h0), labels).values()
        h_t = self.gnn(h0, labels)
        losses = self.head.loss(self.head(h_t), labels)
        return dict(losses, loss_pre=self.lambda_pre * pre)
