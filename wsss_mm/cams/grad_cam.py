"""Grad-CAM (Selvaraju et al., ICCV 2017)."""
import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .base_cam import BaseCAMMethod, present_pairs, scatter_pairs


def head_gradients(model: nn.Module, feats: torch.Tensor, img_idx: torch.Tensor,
                   coefs: torch.Tensor) -> torch.Tensor:
    """∂ (coefs_r · y) / ∂ A for rows r of (image, score combination), in one
    backward pass through the head.

    Row ``r`` holds the features of image ``img_idx[r]`` and the objective
    ``Σ_c coefs[r, c] y_c``; the rows form one batch through the head, so one
    ``autograd.grad`` of the summed objectives gives every row's gradient.
    Nothing reaches the model's parameters.

    Args:
        model (nn.Module): a CAM network.
        feats (Tensor): (B, K, h, w).
        img_idx (Tensor): (N,) image of each row.
        coefs (Tensor): (N, C) weights of the class scores in each objective.

    Returns:
        Tensor: (N, K, h, w).
    """
    if img_idx.numel() == 0:
        return feats.new_zeros((0, *feats.shape[1:]))
    with torch.enable_grad():
        row_feats = feats[img_idx].detach().requires_grad_(True)
        objective = (model.predict_logits(row_feats) * coefs).sum()
        (grads, ) = torch.autograd.grad(objective, row_feats)
    return grads


def pair_score_gradients(model: nn.Module, feats: torch.Tensor,
                         labels: torch.Tensor) -> torch.Tensor:
    """∂ y_c / ∂ A for every present (image, class) pair, in one backward pass.

    Args:
        feats (Tensor): (B, K, h, w).
        labels (Tensor): (B, C) multi-hot.

    Returns:
        Tensor: (N, K, h, w), the pairs of :func:`present_pairs` in order.
    """
    img_idx, cls_idx = present_pairs(labels)
    coefs = nn.functional.one_hot(cls_idx, labels.shape[1]).to(feats.dtype)
    return head_gradients(model, feats, img_idx, coefs)


@CAM_METHODS.register_module()
class GradCAM(BaseCAMMethod):
    """Channel weights = spatial mean of ``∂ y_c / ∂ A_k``.

    For a GAP + linear head this equals CAM divided by h·w.
    """

    uses_gradients = True

    def get_cam_weights(self, model: nn.Module, feats: torch.Tensor,
                        labels: torch.Tensor) -> torch.Tensor:
        grads = pair_score_gradients(model, feats, labels)
        return scatter_pairs(grads.mean(dim=(2, 3)), labels)
