"""MinMax-Grad-CAM (David et al., VISAPP 2022; seed 002, Eqs. 18-19)."""

import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .base_cam import scatter_pairs
from .contrast import ContrastCAMMethod


@CAM_METHODS.register_module()
class MinMaxGradCAM(ContrastCAMMethod):
    """``M_c = ReLU(Σ_k Σ_ij ∂J_c/∂A^k_ij A^k)`` with
    ``J_c = S_c − (1/|N_x|) Σ_{n ∈ N_x} S_n`` (Eqs. 18-19).

    The weights sum the gradients over the grid (Eq. 19), so for a GAP +
    linear head the method equals :class:`MinMaxCAM` (Eq. 21). Every present
    (image, class) pair takes one row of a single backward pass through the
    head.

    Args:
        others (str): ``'labels'`` (default) or ``'detected'``, see
            :class:`ContrastCAMMethod`.
        detect_threshold (float): for ``'detected'``. Default: 0.5.
    """

    def get_cam_weights(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        sets = self.class_sets(model, feats, labels)
        eye = torch.eye(labels.shape[1], dtype=feats.dtype, device=feats.device)
        (grads,) = self.pair_gradients(model, feats, labels, [eye - sets.others_mean()])
        return scatter_pairs(grads.sum(dim=(2, 3)), labels)
