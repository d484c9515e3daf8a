"""Puzzle-CAM: the maps of the image and of its tiles must agree."""

import torch
import torch.nn.functional as F

from wsss_mm.registry import MODELS

from ..utils import merge_tiles, tile_images
from .cam_classifier import CAMClassifier, stack_labels

RE_LOSSES = ('l1', 'l2')


@MODELS.register_module()
class PuzzleCAM(CAMClassifier):
    """Puzzle-CAM (S. Jo and I.-J. Yu, "Puzzle-CAM: Improved localization via
    matching partial and full features", ICIP 2021), as the seed 002 thesis
    trains it (Eq. 26 without the OC-CSE term).

    Besides the image's pass, the network sees the image's ``grid x grid``
    tiles as separate images (a second pass, so the BatchNorm statistics of
    the tiles are their own, as in ``lucasdavid/PNOC``); the tiles' feature
    maps are merged back into one map per image. Losses::

        L = L_cls(p, y) + L_p-cls(p_re, y) + λ_re · mean(|A - A_re| · y)

    where ``A`` / ``A_re`` are the class maps (:meth:`class_maps`, before
    ReLU) of the image and of the merged tiles, ``p_re`` the logits of the
    merged map, and the reconstruction term is averaged over (B, C, h, w)
    with the classes absent from the image masked out. ``L_cls`` and
    ``L_p-cls`` are the head's loss (label smoothing is its option).
    ``λ_re`` is the attribute :attr:`lambda_re`; the thesis ramps it from 0
    to 4 over the first half of training with ``LossWeightScheduleHook``.

    It keeps the CAM network protocol: inference sees the full image only.

    Args:
        grid (int): tiles per side (2: Puzzle-CAM's 4 pieces). The training
            crop must be divisible by it.
        lambda_re (float): λ_re. Default: 4.0 (the thesis' final value).
        re_loss (str): ``'l1'`` (the paper) or ``'l2'`` (an option of the
            authors' code). Default: 'l1'.
        **kwargs: :class:`CAMClassifier`'s arguments.
    """

    def __init__(
        self, *args, grid: int = 2, lambda_re: float = 4.0, re_loss: str = 'l1', **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        if re_loss not in RE_LOSSES:
            raise ValueError(f'PuzzleCAM: re_loss must be one of {RE_LOSSES}, got "{re_loss}"')
        self.grid = grid
        self.lambda_re = lambda_re
        self.re_loss = re_loss

    def training_maps(self, inputs: torch.Tensor) -> dict:
        """The maps of the image and of its merged tiles.

        Returns:
            dict: ``logits`` (B, C), ``cams`` (B, C, h, w), ``re_logits``
            (B, C) and ``re_cams`` (B, C, h, w) of the merged tiles (resized
            to ``cams``' size if the tiles' output strides do not add up).
        """
        outputs = super().training_maps(inputs)
        merged = merge_tiles(self.extract_feat(tile_images(inputs, self.grid)), self.grid)
        if merged.shape[-2:] != outputs['cams'].shape[-2:]:
            merged = F.interpolate(
                merged, outputs['cams'].shape[-2:], mode='bilinear', align_corners=False
            )
        return dict(outputs, re_logits=self.predict_logits(merged), re_cams=self.class_maps(merged))

    def loss_from_maps(self, outputs: dict, labels: torch.Tensor) -> dict:
        """``loss_cls``, ``loss_p_cls`` and ``loss_re`` (already times λ_re)."""
        losses = super().loss_from_maps(outputs, labels)
        (p_cls,) = self.head.loss(outputs['re_logits'], labels).values()
        diff = outputs['cams'] - outputs['re_cams']
        diff = diff.abs() if self.re_loss == 'l1' else diff.pow(2)
        re = (diff * labels[:, :, None, None].to(diff)).mean()
        return dict(losses, loss_p_cls=p_cls, loss_re=self.lambda_re * re)

    def loss(self, inputs: torch.Tensor, data_samples: list) -> dict:
        """The three losses of a batch (see the class docstring)."""
        labels = stack_labels(data_samples).to(inputs.device)
        return self.loss_from_maps(self.training_maps(inputs), labels)
