"""Adaptive min-pooling loss of CPN's public training code."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss_mm.registry import MODELS


@MODELS.register_module()
class AdaptiveMinPoolingLoss(nn.Module):
    """Mean of the lowest ``ratio`` of each image's per-pixel maximal scores,
    rectified: pushes the weakest responses of the maps to zero.

    Part of ``L_cls`` in ``Ferenas/CPN``'s ``train_cpn.py`` (on the refined
    maps of each branch, 25% of the pixels), not in the paper's Eq. 13; its
    authors note it leaves the best mIoU unchanged but moves the best
    background score.

    Args:
        ratio (float): share of pixels pooled, in (0, 1]. Default: 0.25.
        loss_weight (float): Default: 1.0.
        loss_name (str): key in the loss dict. Default: 'loss_min_pool'.
    """

    def __init__(
        self, ratio: float = 0.25, loss_weight: float = 1.0, loss_name: str = 'loss_min_pool'
    ) -> None:
        super().__init__()
        if not 0 < ratio <= 1:
            raise ValueError(f'ratio must be in (0, 1], got {ratio}')
        self.ratio = ratio
        self.loss_weight = loss_weight
        self.loss_name = loss_name

    def forward(self, maps: torch.Tensor) -> torch.Tensor:
        """
        Args:
            maps (Tensor): (B, C, h, w) label-masked foreground maps.

        Returns:
            Tensor: scalar loss.
        """
        peak = maps.max(dim=1).values.flatten(1)
        k = max(1, int(self.ratio * peak.shape[1]))
        lowest = peak.topk(k, dim=1, largest=False).values
        return self.loss_weight * F.relu(lowest).mean()
