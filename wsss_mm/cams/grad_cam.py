"""Grad-CAM (Selvaraju et al., ICCV 2017)."""
import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .base_cam import BaseCAMMethod, present_pairs


def class_score_gradients(model: nn.Module, feats: torch.Tensor,
                          labels: torch.Tensor) -> torch.Tensor:
    """∂ y_c / ∂ A for every present (image, class) pair, in one backward pass.

    The features of each pair are a separate row of one batch through the
    head, so one ``autograd.grad`` of the summed selected scores gives every
    pair's gradient; nothing reaches the model's parameters.

    Args:
        feats (Tensor): (B, K, h, w).
        labels (Tensor): (B, C) multi-hot.

    Returns:
        Tensor: (B, C, K, h, w); zero for absent classes.
    """
    img_idx, cls_idx = present_pairs(labels)
    grads = feats.new_zeros((*labels.shape, *feats.shape[1:]))
    if img_idx.numel() == 0:
        return grads
    with torch.enable_grad():
        pair_feats = feats[img_idx].detach().requires_grad_(True)
        logits = model.predict_logits(pair_feats)
        score = logits[torch.arange(len(cls_idx)), cls_idx].sum()
        (pair_grads, ) = torch.autograd.grad(score, pair_feats)
    grads[img_idx, cls_idx] = pair_grads
    return grads


@CAM_METHODS.register_module()
class GradCAM(BaseCAMMethod):
    """Channel weights = spatial mean of ``∂ y_c / ∂ A_k``.

    For a GAP + linear head this equals CAM divided by h·w.
    """

    uses_gradients = True

    def get_cam_weights(self, model: nn.Module, feats: torch.Tensor,
                        labels: torch.Tensor) -> torch.Tensor:
        return class_score_gradients(model, feats, labels).mean(dim=(3, 4))
