"""Triplet complementary patch (TCP) loss of CPN."""

from typing import Optional, Sequence

import torch
import torch.nn as nn

from wsss_mm.registry import MODELS


def mix_pair(lam: torch.Tensor, maps_h: torch.Tensor, maps_hbar: torch.Tensor) -> torch.Tensor:
    """``λ Y_h + (1 - λ) Y_h̄``, the CP pair's maps weighted by their visible share.

    Args:
        lam (Tensor): (B,) λ of each image.
        maps_h (Tensor): (B, ...) maps of ``I_h``.
        maps_hbar (Tensor): (B, ...) maps of ``I_h̄``.

    Returns:
        Tensor: (B, ...).
    """
    lam = lam.view(-1, *([1] * (maps_h.dim() - 1)))
    return lam * maps_h + (1 - lam) * maps_hbar


@MODELS.register_module()
class TCPLoss(nn.Module):
    """Triplet CP loss, Eq. 14 of F. Zhang et al., "Complementary Patch for
    Weakly Supervised Semantic Segmentation" (CPN, ICCV 2021).

    ``L_tcp = |λ Y_h + λ̄ Y_h̄ - Y_o| + |λ Ỹ_h + λ̄ Ỹ_h̄ - Ỹ_o|``, each term the mean
    over all elements (``Ferenas/CPN``'s form of the L1 norm). The pair's CAMs
    ``(Y_h, Y_h̄)`` are detached (Sec. 3.1): the CAM of the whole image is
    pulled towards the pair's, which together see more of each object. The
    refined maps' term trains the refinement modules (their inputs are detached
    in CPN) and is not detached, as in ``Ferenas/CPN``.

    Args:
        loss_weight (float): ``w_2`` of Eq. 17. Default: 1.0.
        loss_name (str): key in the loss dict. Default: 'loss_tcp'.
    """

    def __init__(self, loss_weight: float = 1.0, loss_name: str = 'loss_tcp') -> None:
        super().__init__()
        self.loss_weight = loss_weight
        self.loss_name = loss_name

    def forward(
        self,
        cams: Sequence[torch.Tensor],
        refined: Sequence[torch.Tensor],
        lam: torch.Tensor,
        num_classes: Optional[int] = None,
    ) -> torch.Tensor:
        """
        Args:
            cams (Sequence[Tensor]): ``(Y_o, Y_h, Y_h̄)``, each (B, C, h, w):
                normalised, label-masked foreground CAMs of ``I``, ``I_h``, ``I_h̄``.
            refined (Sequence[Tensor]): ``(Ỹ_o, Ỹ_h, Ỹ_h̄)``, the refined maps,
                same shapes.
            lam (Tensor): (B,) λ.
            num_classes (int, optional): the number of classes of the full
                maps when the maps hold only some of their channels, the others
                zero in every map; the means are over all of them. Default: C.

        Returns:
            Tensor: scalar loss.
        """
        cam_o, cam_h, cam_hbar = cams
        ref_o, ref_h, ref_hbar = refined
        count = cam_o.numel()
        if num_classes is not None:
            count = count // cam_o.shape[1] * num_classes
        cam_term = (mix_pair(lam, cam_h.detach(), cam_hbar.detach()) - cam_o).abs().sum()
        ref_term = (mix_pair(lam, ref_h, ref_hbar) - ref_o).abs().sum()
        return self.loss_weight * (cam_term + ref_term) / count
