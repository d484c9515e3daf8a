"""D-MinMax-CAM (David et al., VISAPP 2022; seed 002, Eqs. 22-24)."""

import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .base_cam import present_pairs, scatter_pairs
from .contrast import ContrastCAMMethod

FORMS = ('cam', 'grad')


def decomposed_contribution(
    own: torch.Tensor,
    others: torch.Tensor,
    present: torch.Tensor,
    num_others: torch.Tensor,
    num_present: torch.Tensor,
) -> torch.Tensor:
    """``ReLU(own) − ReLU(others)/|N_x| + min(0, present)/|C_x|`` (Eqs. 23-24).

    Args:
        own, others, present (Tensor): contributions to ``S_c``, to
            ``Σ_{N_x} S_n`` and to ``Σ_{C_x} S_n``, of one shape.
        num_others, num_present (Tensor): ``max(|N_x|, 1)`` and ``|C_x|``,
            broadcastable to it.
    """
    return own.clamp(min=0) - others.clamp(min=0) / num_others + present.clamp(max=0) / num_present


@CAM_METHODS.register_module()
class DMinMaxCAM(ContrastCAMMethod):
    """MinMax-CAM with positive, negative and background contributions apart.

    ``M_c = ReLU(Σ_k α_k^c A^k)`` (Eq. 22) with, in the CAM form (Eq. 24),

        α_k^c = ReLU(w_k^c) − ReLU(Σ_{n ∈ N_x} w_k^n) / |N_x|
                + min(0, Σ_{n ∈ C_x} w_k^n) / |C_x|,

    and in the gradient form (Eq. 23, D-MinMax-Grad-CAM) the same terms per
    grid cell with ``∂S_n/∂A^k_ij`` in place of ``w_k^n``, summed over the grid
    (one backward pass through the head for all pairs and terms). For a GAP +
    linear head both forms agree.

    Args:
        form (str): ``'cam'`` (Eq. 24, default) or ``'grad'`` (Eq. 23).
        others (str): ``'labels'`` (default) or ``'detected'``, see
            :class:`ContrastCAMMethod`.
        detect_threshold (float): for ``'detected'``. Default: 0.5.
    """

    def __init__(
        self, form: str = 'cam', others: str = 'labels', detect_threshold: float = 0.5
    ) -> None:
        super().__init__(others=others, detect_threshold=detect_threshold)
        if form not in FORMS:
            raise ValueError(f'form must be one of {FORMS}, got "{form}"')
        self.form = form

    def get_cam_weights(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        sets = self.class_sets(model, feats, labels)
        if self.form == 'cam':
            weights = model.cam_weights().to(feats.dtype)  # (C, K)
            return decomposed_contribution(
                weights[None],
                torch.einsum('bcn,nk->bck', sets.others, weights),
                torch.einsum('bcn,nk->bck', sets.present, weights),
                sets.num_others[..., None],
                sets.num_present[..., None],
            )
        eye = torch.eye(labels.shape[1], dtype=feats.dtype, device=feats.device)
        own, others, present = self.pair_gradients(  # each (N, K, h, w)
            model, feats, labels, [eye.expand_as(sets.others), sets.others, sets.present]
        )
        pairs = present_pairs(labels)
        alpha = decomposed_contribution(
            own,
            others,
            present,
            sets.num_others[pairs][:, None, None, None],
            sets.num_present[pairs][:, None, None, None],
        )
        return scatter_pairs(alpha.sum(dim=(2, 3)), labels)
