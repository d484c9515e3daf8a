"""Grad-CAM (Selvaraju et al., ICCV 2017) in the forms the seed papers use."""

from typing import Optional

import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .base_cam import BaseCAMMethod, present_pairs, scatter_pairs

REDUCTIONS = ('sum', 'mean', 'positive_mean')
SCORES = ('logits', 'relu_cam_sum')


def head_gradients(
    model: nn.Module, feats: torch.Tensor, img_idx: torch.Tensor, coefs: torch.Tensor
) -> torch.Tensor:
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
        (grads,) = torch.autograd.grad(objective, row_feats)
    return grads


def logit_gradients(model: nn.Module, feats: torch.Tensor, classes: torch.Tensor) -> torch.Tensor:
    """``∂y_c/∂A`` of each row's class ``c``.

    Closed-form for a network whose ``linear_cam`` attribute is true (its
    logits are ``GAP(A) Wᵀ (+ b)`` with ``W = cam_weights()``, e.g. a
    :class:`~wsss_mm.models.CAMClassifier` with a ``GAPClassifierHead`` in
    eval mode): then ``∂y_c/∂A = W_c / (h w)`` at every cell. Otherwise one
    backward pass through the head.

    Args:
        model (nn.Module): a CAM network.
        feats (Tensor): (N, K, h, w), one row per (image, class).
        classes (Tensor): (N,) each row's class.

    Returns:
        Tensor: (N, K, h, w).
    """
    if getattr(model, 'linear_cam', False):
        cell = model.cam_weights().to(feats.dtype)[classes] / (feats.shape[-2] * feats.shape[-1])
        return cell[:, :, None, None].expand_as(feats)
    coefs = nn.functional.one_hot(classes, model.cam_weights().shape[0]).to(feats.dtype)
    return head_gradients(model, feats, torch.arange(len(feats), device=feats.device), coefs)


def pair_score_gradients(
    model: nn.Module, feats: torch.Tensor, labels: torch.Tensor
) -> torch.Tensor:
    """∂ y_c / ∂ A for every present (image, class) pair.

    Args:
        feats (Tensor): (B, K, h, w).
        labels (Tensor): (B, C) multi-hot.

    Returns:
        Tensor: (N, K, h, w), the pairs of :func:`present_pairs` in order.
    """
    img_idx, cls_idx = present_pairs(labels)
    return logit_gradients(model, feats[img_idx].detach(), cls_idx)


@CAM_METHODS.register_module()
class GradCAM(BaseCAMMethod):
    """``M_c = ReLU(Σ_k w_ck A_k)`` with ``w_ck`` reduced from ``∂S_c/∂A_k``.

    The reduction over the grid decides whether maps of different grid sizes
    (the scales of multi-scale inference) weigh alike:

    - ``'sum'`` (default): ``w_ck = Σ_ij ∂S_c/∂A_k,ij``, the thesis' Eq. 2.
      Scale-neutral: for a GAP + linear head it equals CAM exactly.
    - ``'mean'``: the spatial mean (Selvaraju et al.). For a GAP + linear head
      it is CAM / (h w), so the small scales of a multi-scale sum dominate.
    - ``'positive_mean'``: the sum divided by the number of positive entries
      of the image's gradient tensor, over channels and cells (the AdvCAM
      authors' ``gap2d_pos``). With ``score='relu_cam_sum'`` the map is
      ``CAM_c / K⁺_c`` (``K⁺_c`` positive weights of class c): scale-neutral.

    The score ``S_c`` is the network's logit (``'logits'``, default) or
    ``Σ_ij ReLU(A · W_c)`` with ``W = cam_weights()`` (``'relu_cam_sum'``, the
    AdvCAM authors' global-sum-pooled class map); the gradient of the latter
    is ``W_ck 1[(A · W_c)_ij > 0]``, computed in closed form. For a network
    whose logits are GAP + linear (its ``linear_cam`` flag,
    :func:`logit_gradients`) the logits' gradient is also closed-form; other
    heads take one backward pass through the head for all present (image,
    class) pairs.

    Args:
        reduce (str): one of ``'sum'``, ``'mean'``, ``'positive_mean'``.
        score (str): ``'logits'`` or ``'relu_cam_sum'``.
    """

    def __init__(self, reduce: str = 'sum', score: str = 'logits') -> None:
        if reduce not in REDUCTIONS:
            raise ValueError(f'reduce must be one of {REDUCTIONS}, got "{reduce}"')
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got "{score}"')
        self.reduce = reduce
        self.score = score

    def get_cam_weights(
        self, model: nn.Module, inputs: torch.Tensor, feats: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        img_idx, cls_idx = present_pairs(labels)
        grads = self.score_gradients(model, feats[img_idx], cls_idx)
        return scatter_pairs(self.reduce_gradients(grads), labels)

    def score_gradients(
        self, model: nn.Module, feats: torch.Tensor, classes: torch.Tensor
    ) -> torch.Tensor:
        """``∂S_c/∂A`` of each row's class.

        Args:
            feats (Tensor): (N, K, h, w), one row per (image, class).
            classes (Tensor): (N,) each row's class.

        Returns:
            Tensor: (N, K, h, w), detached.
        """
        feats = feats.detach()
        if self.score == 'relu_cam_sum':
            weights = model.cam_weights().to(feats.dtype)[classes]  # (N, K)
            positive = torch.einsum('nk,nkhw->nhw', weights, feats) > 0
            return weights[:, :, None, None] * positive[:, None].to(feats.dtype)
        return logit_gradients(model, feats, classes)

    def reduce_gradients(
        self, grads: torch.Tensor, groups: Optional[torch.Tensor] = None
    ) -> torch.Tensor:
        """Channel weights from gradients.

        Args:
            grads (Tensor): (N, K, h, w).
            groups (Tensor, optional): (N,) group id of each row, ids
                ``0..G-1``: with ``'positive_mean'`` the positive entries are
                counted over each group's rows (the AdvCAM authors count them
                over the batch of an image and its flip). Default: each row
                alone.

        Returns:
            Tensor: (N, K).
        """
        total = grads.sum(dim=(2, 3))
        if self.reduce == 'sum':
            return total
        if self.reduce == 'mean':
            return total / (grads.shape[-2] * grads.shape[-1])
        count = (grads > 0).flatten(1).sum(dim=1).to(grads.dtype)
        if groups is not None:
            count = count.new_zeros(int(groups.max()) + 1).index_add_(0, groups, count)[groups]
        return total / (count[:, None] + 1e-12)
