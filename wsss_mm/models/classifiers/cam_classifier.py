"""The base multi-label CAM network: backbone -> GAP -> bias-free classifier."""

from typing import List, Optional, Union

import torch
from mmengine.model import BaseModel
from mmseg.structures import SegDataSample
from torch.nn.modules.batchnorm import _BatchNorm

from wsss_mm.registry import MODELS


def stack_labels(data_samples: List[SegDataSample]) -> torch.Tensor:
    """The image-level labels of a batch.

    Returns:
        Tensor: (B, C) float multi-hot.

    Raises:
        KeyError: a data sample has no ``gt_labels``.
    """
    missing = [i for i, s in enumerate(data_samples) if 'gt_labels' not in s]
    if missing:
        raise KeyError(
            f'data samples {missing} carry no `gt_labels`; add '
            '`PackCAMInputs` to the pipeline of a VOCClsDataset'
        )
    return torch.stack([s.gt_labels.float() for s in data_samples])


@MODELS.register_module()
class CAMClassifier(BaseModel):
    """Multi-label classifier whose feature map yields class activation maps.

    Implements the CAM network protocol of wsss_mm (docs/design.md):
    ``extract_feat(inputs) -> (B, K, h, w)``, ``predict_logits(feats) -> (B, C)``
    and ``cam_weights() -> (C, K)``, and its optional ``linear_cam`` flag
    (from the head's, :attr:`linear_cam`).

    Args:
        backbone (dict): e.g. ``mmpretrain.ResNet`` or ``ResNet38d``; its last
            output is the CAM feature map.
        head (dict): a head with ``forward(feats) -> logits``, ``cam_weights()``
            and ``loss(logits, labels)``, e.g. ``GAPClassifierHead``; a head
            whose logits are ``GAP(A) @ cam_weights().T`` (+ a bias) sets the
            class attribute ``linear_cam = True``.
        neck (dict, optional): applied to the backbone's last output.
        freeze_bn (bool): keep every BatchNorm in eval mode during training
            (IRN / AdvCAM recipe; small batches make BN statistics noisy).
        freeze_bn_affine (bool): also keep every BatchNorm's weight and bias
            as they are (``requires_grad=False``: optimizers skip them). With
            ``freeze_bn`` it is the ``mode='fix'`` of Puzzle-CAM's and P-NOC's
            code (``FixedBatchNorm``), which P-NOC's ordinary classifier
            trains with.
        data_preprocessor (dict, optional): e.g. ``mmseg.SegDataPreProcessor``.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(
        self,
        backbone: dict,
        head: dict,
        neck: Optional[dict] = None,
        freeze_bn: bool = False,
        freeze_bn_affine: bool = False,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck) if neck is not None else None
        self.head = MODELS.build(head)
        self.freeze_bn = freeze_bn
        if freeze_bn_affine:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.requires_grad_(False)

    @property
    def num_classes(self) -> int:
        """C, the number of foreground classes."""
        return self.head.num_classes

    def train(self, mode: bool = True) -> 'CAMClassifier':
        super().train(mode)
        if mode and self.freeze_bn:
            for m in self.modules():
                if isinstance(m, _BatchNorm):
                    m.eval()
        return self

    # ---- CAM network protocol ---------------------------------------------
    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """
        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.

        Returns:
            Tensor: (B, K, h, w), the map CAMs are computed on.
        """
        feats = self.backbone(inputs)
        if isinstance(feats, (tuple, list)):
            feats = feats[-1]
        if self.neck is not None:
            feats = self.neck(feats)
        return feats

    def predict_logits(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, K, h, w) -> (B, C) image-level scores."""
        return self.head(feats)

    def cam_weights(self) -> torch.Tensor:
        """(C, K): the effective linear classifier."""
        return self.head.cam_weights()

    @property
    def linear_cam(self) -> bool:
        """Whether the logits are now exactly ``GAP(A) @ cam_weights().T``
        (+ a bias): the head's ``linear_cam`` flag is set and the head is in
        eval mode (no dropout). CAM methods then take the logits' gradients
        in closed form. A subclass that changes :meth:`predict_logits` must
        override it."""
        return bool(getattr(self.head, 'linear_cam', False)) and not self.head.training

    def class_maps(self, feats: torch.Tensor) -> torch.Tensor:
        """(B, K, h, w) -> (B, C, h, w): the class maps ``A · W_c`` before
        ReLU (Puzzle-CAM's and OC-CSE's ``features``)."""
        return torch.einsum('bkhw,ck->bchw', feats, self.cam_weights())

    # ---- MMEngine -----------------------------------------------------------
    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[SegDataSample]] = None,
        mode: str = 'tensor',
    ) -> Union[dict, list, torch.Tensor]:
        """Modes: ``'loss'``, ``'predict'``, ``'tensor'`` (the logits) and
        ``'maps'`` (:meth:`training_maps`, for networks that train this one
        inside their own loss, such as OC-CSE's generator)."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.predict_logits(self.extract_feat(inputs))
        if mode == 'maps':
            return self.training_maps(inputs)
        raise ValueError(f'mode must be "loss", "predict", "tensor" or "maps", got "{mode}"')

    def training_maps(self, inputs: torch.Tensor) -> dict:
        """What the losses need from one forward pass.

        Returns:
            dict: ``logits`` (B, C) and ``cams`` (B, C, h, w), the class maps
            (:meth:`class_maps`).
        """
        feats = self.extract_feat(inputs)
        return dict(logits=self.predict_logits(feats), cams=self.class_maps(feats))

    def loss_from_maps(self, outputs: dict, labels: torch.Tensor) -> dict:
        """The losses of :meth:`training_maps`'s outputs.

        Args:
            outputs (dict): see :meth:`training_maps`.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            dict: ``{'loss_cls': ...}``.
        """
        return self.head.loss(outputs['logits'], labels)

    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> dict:
        """Classification loss of a batch; returns ``{'loss_cls': ...}``."""
        logits = self.predict_logits(self.extract_feat(inputs))
        return self.head.loss(logits, stack_labels(data_samples).to(logits.device))

    def predict(
        self, inputs: torch.Tensor, data_samples: Optional[List[SegDataSample]] = None
    ) -> list:
        """Adds ``pred_logits`` and ``pred_scores`` ((C,) sigmoid) to each sample."""
        logits = self.predict_logits(self.extract_feat(inputs))
        if data_samples is None:
            data_samples = [SegDataSample() for _ in range(len(logits))]
        for sample, logit in zip(data_samples, logits):
            sample.pred_logits = logit
            sample.pred_scores = logit.sigmoid()
        return data_samples
