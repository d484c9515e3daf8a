"""Multi-label soft-margin loss, the classification loss of CAM networks."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss_mm.registry import MODELS


@MODELS.register_module()
class MultiLabelSoftMarginLoss(nn.Module):
    """``F.multilabel_soft_margin_loss`` with a weight and label smoothing.

    Args:
        loss_weight (float): multiplies the loss. Default: 1.0.
        label_smoothing (float): targets become ``y (1 - s) + s / 2`` (P-NOC
            uses 0.1). Default: 0.0.
        loss_name (str): key of the loss in the loss dict. Default: 'loss_cls'.
    """

    def __init__(
        self, loss_weight: float = 1.0, label_smoothing: float = 0.0, loss_name: str = 'loss_cls'
    ) -> None:
        super().__init__()
        if not 0 <= label_smoothing < 1:
            raise ValueError(f'label_smoothing must be in [0, 1), got {label_smoothing}')
        self.loss_weight = loss_weight
        self.label_smoothing = label_smoothing
        self.loss_name = loss_name

    def forward(self, logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """
        Args:
            logits (Tensor): (B, C) scores.
            labels (Tensor): (B, C) multi-hot in {0, 1}.

        Returns:
            Tensor: scalar loss.
        """
        targets = labels.float()
        if self.label_smoothing:
            targets = targets * (1 - self.label_smoothing) + self.label_smoothing / 2
        return self.loss_weight * F.multilabel_soft_margin_loss(logits, targets)
