"""The hint loss of C²AM-H: the last term of Eq. 29 of the P-NOC thesis (seed 002)."""

import torch
import torch.nn as nn
import torch.nn.functional as F

from wsss_mm.registry import MODELS

REDUCTIONS = ('mean', 'sum')


@MODELS.register_module()
class C2AMHintLoss(nn.Module):
    """Binary cross-entropy between the disentangler's map and the hints, on
    hinted pixels only: ``lambda_h * reduce_{hinted} bce(y_hat, sigmoid(d(A)))``.

    A hint map holds 1 (foreground hint: a class's CAM >= delta_fg), 0
    (background hint, only when hints are made with a background threshold)
    and ``ignore_index`` (no hint). C²AM-H uses foreground hints only
    (``lucasdavid/PNOC`` ``scripts/ccam/train_hints.py``; its background
    variant is commented out there), so the target is 1 wherever a hint is.

    Paper and code differ in the reduction; the default is the code's, which
    gave the thesis' numbers (with it lambda_h = 1 does not depend on the
    image size or the batch size):

    - ``'mean'`` (code: ``BCEWithLogitsLoss(...)[fg_likely].mean()``): the mean
      over the hinted pixels of the whole batch; 0 when none is hinted (the
      code's mean of nothing is NaN).
    - ``'sum'`` (Eq. 29): the sum over the hinted pixels of the batch.

    Args:
        loss_weight (float): lambda_h. Default: 1.0 (thesis and code).
        label_smoothing (float): targets become ``(1 - ls) y + ls / 2``
            (P-NOC's runner ``runners/2-saliency.sh`` passes 0.1; the script's
            default is 0). Default: 0.0.
        reduction (str): ``'mean'`` or ``'sum'``. Default: 'mean'.
        ignore_index (int): the "no hint" value. Default: 255.
    """

    def __init__(
        self,
        loss_weight: float = 1.0,
        label_smoothing: float = 0.0,
        reduction: str = 'mean',
        ignore_index: int = 255,
    ) -> None:
        super().__init__()
        if reduction not in REDUCTIONS:
            raise ValueError(
                f'C2AMHintLoss: reduction must be one of {REDUCTIONS}, got "{reduction}"'
            )
        if not 0 <= label_smoothing < 1:
            raise ValueError(
                f'C2AMHintLoss: label_smoothing must be in [0, 1), got {label_smoothing}'
            )
        self.loss_weight = loss_weight
        self.label_smoothing = label_smoothing
        self.reduction = reduction
        self.ignore_index = ignore_index

    def forward(self, logits: torch.Tensor, hints: torch.Tensor) -> torch.Tensor:
        """
        Args:
            logits (Tensor): (B, 1, h, w) the disentangler's map before the
                sigmoid, foreground positive.
            hints (Tensor): (B, h, w) integer hints: 1, 0 or ``ignore_index``.

        Returns:
            Tensor: scalar loss.
        """
        if logits.shape[0] != hints.shape[0] or logits.shape[2:] != hints.shape[1:]:
            raise ValueError(
                f'C2AMHintLoss: logits {tuple(logits.shape)} and hints '
                f'{tuple(hints.shape)} must be (B, 1, h, w) and (B, h, w)'
            )
        hinted = hints != self.ignore_index
        if bool((hints[hinted] > 1).any()):
            raise ValueError(
                f'C2AMHintLoss: hints must be 0, 1 or {self.ignore_index}, '
                f'got {sorted(hints.unique().tolist())}'
            )
        target = hints.clamp(max=1).to(logits.dtype)
        target = target * (1 - self.label_smoothing) + self.label_smoothing / 2
        bce = F.binary_cross_entropy_with_logits(logits[:, 0], target, reduction='none')
        total = (bce * hinted).sum()
        if self.reduction == 'mean':
            total = total / hinted.sum().clamp(min=1)
        return self.loss_weight * total
