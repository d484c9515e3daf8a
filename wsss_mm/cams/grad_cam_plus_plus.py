"""Grad-CAM++ (Chattopadhay et al., WACV 2018; seed 002, Eq. 3)."""

import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .base_cam import BaseCAMMethod, present_pairs, scatter_pairs
from .grad_cam import pair_score_gradients


@CAM_METHODS.register_module()
class GradCAMPlusPlus(BaseCAMMethod):
    """``M_c = ReLU(Σ_k Σ_ij α^kc_ij ReLU(∂S_c/∂A^k_ij) A^k)`` (seed 002, Eq. 3).

    With the exponential score ``Y_c = exp(S_c)`` of Grad-CAM++ and a head that
    is piecewise linear in the features, the higher derivatives are powers of
    the first one, ``g = ∂S_c/∂A``, which gives the closed form

        α_ij = g_ij² / (2 g_ij² + Σ_ab A_ab g_ij³),

    set to 0 where its denominator is 0. The common factor ``exp(S_c)`` of the
    gradients is dropped (it scales each map by a positive constant). All
    present classes of the batch take one backward pass through the head.
    """

    def get_cam_weights(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        grads = pair_score_gradients(model, feats, labels)  # (N, K, h, w)
        img_idx, _ = present_pairs(labels)
        grads_2 = grads.pow(2)
        act_sum = feats[img_idx].sum(dim=(2, 3))[:, :, None, None]  # (N, K, 1, 1)
        denom = 2 * grads_2 + act_sum * grads_2 * grads
        defined = denom != 0
        alpha = torch.where(defined, grads_2 / torch.where(defined, denom, 1), 0)
        return scatter_pairs((alpha * grads.clamp(min=0)).sum(dim=(2, 3)), labels)
