"""Complementary patch cross regularisation (CPCR) loss of CPN, with OHEM."""
from typing import Sequence

import torch
import torch.nn as nn

from wsss_mm.registry import MODELS


def ohem_mean(losses: torch.Tensor, ratio: float) -> torch.Tensor:
    """Online hard example mining: the mean of each sample's largest losses.

    Args:
        losses (Tensor): (B, ...) element-wise losses.
        ratio (float): share of each sample's elements kept, in (0, 1]; at
            least one is kept. 1 is the plain mean.

    Returns:
        Tensor: scalar, the mean over the B x k kept elements.
    """
    if not 0 < ratio <= 1:
        raise ValueError(f'OHEM ratio must be in (0, 1], got {ratio}')
    flat = losses.flatten(1)
    if ratio == 1:
        return flat.mean()
    k = max(1, int(ratio * flat.shape[1]))
    return flat.topk(k, dim=1).values.mean()


def keep_channel_max(maps: torch.Tensor) -> torch.Tensor:
    """Zeroes every value below its pixel's maximum over channels.

    Args:
        maps (Tensor): (B, K, h, w).

    Returns:
        Tensor: (B, K, h, w), the maxima kept in place (``Ferenas/CPN``'s
        ``max_onehot``).
    """
    return torch.where(maps == maps.max(dim=1, keepdim=True).values, maps,
                       torch.zeros_like(maps))


@MODELS.register_module()
class CPCRLoss(nn.Module):
    """CP cross regularisation, Eq. 15 of F. Zhang et al., "Complementary Patch
    for Weakly Supervised Semantic Segmentation" (CPN, ICCV 2021).

    ``L_cpcr = OHEM|T(Y_o - λ Y_h) - λ̄ Ỹ_h̄| + OHEM|T(Y_o - λ̄ Y_h̄) - λ Ỹ_h|``: what
    the CAM of ``I`` holds beyond one image of the pair supervises the refined
    map of the other image. The CAMs are detached (targets); ``T`` is the
    identity (the paper) or, with ``max_target``, keeps each pixel's channel
    maximum only (``Ferenas/CPN``'s ``max_onehot``). OHEM keeps the top
    ``ohem_ratio`` of each image's element losses (paper: 20%, Sec. 4.1).

    Args:
        ohem_ratio (float): share of hard elements kept; 1.0 disables OHEM
            (Table 2's ``L_cpcr`` row). Default: 0.2.
        max_target (bool): apply ``T`` = keep the channel maximum. Default: False.
        loss_weight (float): ``w_3`` of Eq. 17. Default: 1.0.
        loss_name (str): key in the loss dict. Default: 'loss_cpcr'.
    """

    def __init__(self, ohem_ratio: float = 0.2, max_target: bool = False,
                 loss_weight: float = 1.0, loss_name: str = 'loss_cpcr') -> None:
        super().__init__()
        if not 0 < ohem_ratio <= 1:
            raise ValueError(f'ohem_ratio must be in (0, 1], got {ohem_ratio}')
        self.ohem_ratio = ohem_ratio
        self.max_target = max_target
        self.loss_weight = loss_weight
        self.loss_name = loss_name

    def forward(self, cams: Sequence[torch.Tensor], refined: Sequence[torch.Tensor],
                lam: torch.Tensor) -> torch.Tensor:
        """
        Args:
            cams (Sequence[Tensor]): ``(Y_o, Y_h, Y_h̄)``, each (B, C + 1, h, w):
                normalised, label-masked CAMs with the background map (Eq. 16).
            refined (Sequence[Tensor]): ``(Ỹ_o, Ỹ_h, Ỹ_h̄)``, same shapes
                (``Ỹ_o`` is not used).
            lam (Tensor): (B,) λ.

        Returns:
            Tensor: scalar loss.
        """
        cam_o, cam_h, cam_hbar = (c.detach() for c in cams)
        _, ref_h, ref_hbar = refined
        lam = lam.view(-1, 1, 1, 1)
        pairs = ((cam_o - lam * cam_h, (1 - lam) * ref_hbar),
                 (cam_o - (1 - lam) * cam_hbar, lam * ref_h))
        loss = 0
        for target, pred in pairs:
            if self.max_target:
                target = keep_channel_max(target)
            loss = loss + ohem_mean((target - pred).abs(), self.ohem_ratio)
        return self.loss_weight * loss
