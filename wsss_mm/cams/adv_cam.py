"""AdvCAM (Lee et al., "Anti-Adversarially Manipulated Attributions for Weakly
and Semi-Supervised Semantic Segmentation", CVPR 2021; seed 001)."""
import copy
from typing import Iterator, Optional, Sequence

import torch
import torch.nn as nn

from wsss_mm.models.classifiers import CAMClassifier
from wsss_mm.models.heads import GAPClassifierHead
from wsss_mm.registry import CAM_METHODS

from .base_cam import BaseCAMMethod, present_pairs, scatter_pairs
from .grad_cam import GradCAM

GRAD_NORMS = ('max', 'none')
SUPPRESS = ('all', 'labels')
SCORES = ('logits', 'relu_cam')


def gap_linear_weights(model: nn.Module) -> Optional[torch.Tensor]:
    """The classifier ``W`` when the model's logits are ``GAP(A) Wᵀ``, else None.

    That holds for a :class:`CAMClassifier` (or a subclass keeping its
    ``predict_logits``) whose head is a :class:`GAPClassifierHead` (or a
    subclass keeping its ``forward``, e.g. the KUR head) in eval mode. Then
    ``∂y_c/∂A = W_c / (h w)`` at every cell, and Grad-CAM needs no backward.

    Returns:
        Tensor | None: (C, K).
    """
    head = getattr(model, 'head', None)
    if (isinstance(model, CAMClassifier) and isinstance(head, GAPClassifierHead)
            and type(model).predict_logits is CAMClassifier.predict_logits
            and type(head).forward is GAPClassifierHead.forward):
        return head.cam_weights()
    return None


@CAM_METHODS.register_module()
class AdvCAM(BaseCAMMethod):
    """Adversarial climbing of the image towards its class (seed 001, Eqs. 3-7).

    For every present (image, class c) pair, from ``x^0`` (the image):

        L = y_c − Σ_{k ≠ c} y_k − λ ‖M ⊙ |A(x^{t-1}) − A(x^0)|‖₁        (Eq. 7)
        M = 1[A(x^{t-1}) / max A(x^{t-1}) > τ]                            (Eq. 5)
        x^t = clamp(x^{t-1} + ξ ∇L / max|∇L|, min x^0, max x^0)         (Eq. 6)

    and the result is ``Σ_{t=0..T} A(x^t)`` (Eq. 4 before the max
    normalisation, which the multi-scale aggregation does). ``A`` is the
    base method's map of class ``c`` and ``y`` the CAM network's logits
    (``predict_logits``).

    All pairs of a batch climb together: each (image, class) pair is one
    row of one batch (with multi-scale + flip inference the flipped image
    is its own row), so each step is one forward and one backward pass of
    the model over all rows; the authors' code loops over classes and scales
    in Python. For a GAP + linear head (:func:`gap_linear_weights`) with the
    Grad-CAM base, the map of each step comes from the same forward pass
    (``∂y_c/∂A = W_c/(h w)``); other bases compute their channel weights on
    the detached features (one extra backward through the head only), as
    the authors' Grad-CAM hooks do. Each row is independent (the model must
    be in eval mode), so the batch gives the maps of a per-class loop.

    Multi-scale inference (:func:`multiscale_cams`) asks :meth:`at_scale`
    for the method of each scale: the scales in ``half_step_scales`` climb
    ``T // 2`` steps, as the authors' code does at scale 0.5.

    Args:
        base (dict): the attribution method whose maps climb, from
            ``CAM_METHODS``; it must compute channel weights
            (``get_cam_weights``). Default: ``GradCAM``.
        steps (int): T. Default: 27.
        step_size (float): ξ. Default: 0.08, with ``grad_norm='max'`` (the
            authors' code); the paper's ξ = 0.008 goes with ``'none'``.
        grad_norm (str): ``'max'``: the step is ``ξ ∇L / max|∇L|``, the max
            over each row; ``'none'``: ``ξ ∇L``.
        reg_coeff (float): λ. Default: 7.
        mask_threshold (float): τ. Default: 0.5.
        suppress (str): the scores subtracted: ``'all'`` other classes
            (Eq. 7, default) or only the other ground-truth ``'labels'``.
        score (str): the class scores ``y`` that climb: ``'logits'``, the CAM
            network's logits (the paper, default), or ``'relu_cam'``,
            ``GAP(ReLU(A · W_k))`` with ``W = cam_weights()`` (the authors'
            code, where absent classes only count where their map is > 0).
        half_step_scales (Sequence[float]): scales that climb ``T // 2``
            steps. Default: (0.5, ).
    """

    uses_gradients = True

    def __init__(self,
                 base: dict = dict(type='GradCAM'),
                 steps: int = 27,
                 step_size: float = 0.08,
                 grad_norm: str = 'max',
                 reg_coeff: float = 7.0,
                 mask_threshold: float = 0.5,
                 suppress: str = 'all',
                 score: str = 'logits',
                 half_step_scales: Sequence[float] = (0.5, )) -> None:
        self.base = CAM_METHODS.build(base)
        if type(self.base).get_cam_weights is BaseCAMMethod.get_cam_weights:
            raise TypeError(
                f'AdvCAM needs a base method that computes channel weights from the '
                f'features (get_cam_weights), e.g. CAM, GradCAM, GradCAMPlusPlus, '
                f'MinMaxCAM; {type(self.base).__name__} does not')
        if steps < 0:
            raise ValueError(f'steps must be >= 0, got {steps}')
        if grad_norm not in GRAD_NORMS:
            raise ValueError(f'grad_norm must be one of {GRAD_NORMS}, got "{grad_norm}"')
        if suppress not in SUPPRESS:
            raise ValueError(f'suppress must be one of {SUPPRESS}, got "{suppress}"')
        if score not in SCORES:
            raise ValueError(f'score must be one of {SCORES}, got "{score}"')
        self.steps = steps
        self.step_size = step_size
        self.grad_norm = grad_norm
        self.reg_coeff = reg_coeff
        self.mask_threshold = mask_threshold
        self.suppress = suppress
        self.score = score
        self.half_step_scales = tuple(half_step_scales)

    def at_scale(self, scale: float) -> 'AdvCAM':
        """This method, with ``T // 2`` steps at the scales of ``half_step_scales``."""
        if scale not in self.half_step_scales:
            return self
        scaled = copy.copy(self)
        scaled.steps = self.steps // 2
        return scaled

    def __call__(self, model: nn.Module, inputs: torch.Tensor,
                 labels: torch.Tensor) -> torch.Tensor:
        labels = self.check_inputs(model, inputs, labels)
        if model.training:
            raise ValueError('AdvCAM needs the model in eval mode (model.eval()): in '
                             'training mode BatchNorm and dropout would mix the rows')
        img_idx, cls_idx = present_pairs(labels)
        if len(img_idx) == 0:
            with torch.no_grad():
                grid = model.extract_feat(inputs[:1]).shape[2:]
            return inputs.new_zeros((*labels.shape, *grid))
        maps = self.climb(model, inputs[img_idx], labels[img_idx], cls_idx)
        return scatter_pairs(maps, labels)

    def climb(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
              classes: torch.Tensor) -> torch.Tensor:
        """Climbs every row towards its class; the rows are independent.

        Args:
            model (nn.Module): a CAM network in eval mode.
            images (Tensor): (N, 3, H, W) normalised images, one per row.
            labels (Tensor): (N, C) multi-hot labels of each row's image.
            classes (Tensor): (N,) the class each row climbs towards.

        Returns:
            Tensor: (N, h, w) ``Σ_{t=0..T} A(x^t)`` of each row's class, >= 0.
        """
        return sum(self.climb_steps(model, images, labels, classes))

    def climb_steps(self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor,
                    classes: torch.Tensor) -> Iterator[torch.Tensor]:
        """Yields the map ``A(x^t)`` of each row's class, for t = 0..T.

        Each step is one forward pass of the model over the rows, and one
        backward pass to the inputs (none after the last map); the gradient
        never reaches the model's parameters.

        Args: as :meth:`climb`.

        Yields:
            Tensor: (N, h, w) >= 0, detached.
        """
        coefs = -torch.ones_like(labels) if self.suppress == 'all' else -labels
        coefs[torch.arange(len(classes)), classes] = 1
        low = images.amin(dim=(1, 2, 3), keepdim=True)
        high = images.amax(dim=(1, 2, 3), keepdim=True)
        x, init = images.detach(), None
        for step in range(self.steps + 1):
            climbing = step < self.steps
            with torch.set_grad_enabled(climbing):
                x.requires_grad_(climbing)
                feats = model.extract_feat(x)
                maps = self.row_maps(model, feats, labels, classes)
                if climbing:
                    init = maps.detach() if init is None else init
                    peak = maps.detach().flatten(1).amax(dim=1)[:, None, None]
                    mask = maps.detach() > self.mask_threshold * peak
                    objective = ((self.class_scores(model, feats) * coefs).sum(dim=1) -
                                 self.reg_coeff * (mask * (maps - init).abs()).sum(dim=(1, 2)))
                    (grad, ) = torch.autograd.grad(objective.sum(), x)
            yield maps.detach()
            if climbing:
                x = self.ascend(x.detach(), grad, low, high)

    def ascend(self, x: torch.Tensor, grad: torch.Tensor, low: torch.Tensor,
               high: torch.Tensor) -> torch.Tensor:
        """One step ``x + ξ ∇`` (∇ max-normalised per row with ``grad_norm='max'``),
        clamped to each row's original range.

        Args:
            x, grad (Tensor): (N, 3, H, W).
            low, high (Tensor): (N, 1, 1, 1) each row's original min / max.
        """
        if self.grad_norm == 'max':
            grad = grad / (grad.abs().amax(dim=(1, 2, 3), keepdim=True) + 1e-12)
        return torch.minimum(torch.maximum(x + self.step_size * grad, low), high)

    def class_scores(self, model: nn.Module, feats: torch.Tensor) -> torch.Tensor:
        """(N, K, h, w) features -> (N, C) the scores ``y`` of the objective."""
        if self.score == 'logits':
            return model.predict_logits(feats)
        class_maps = torch.einsum('ck,nkhw->nchw', model.cam_weights().to(feats.dtype), feats)
        return class_maps.clamp(min=0).mean(dim=(2, 3))

    def row_maps(self, model: nn.Module, feats: torch.Tensor, labels: torch.Tensor,
                 classes: torch.Tensor) -> torch.Tensor:
        """The base map of each row's class, differentiable through the features.

        Channel weights are computed on the detached features (constants of
        the climbing objective, as the authors' hooked Grad-CAM gives them).

        Args:
            feats (Tensor): (N, K, h, w) with the graph to the input.
            labels (Tensor): (N, C) multi-hot labels of each row's image.
            classes (Tensor): (N,) each row's class.

        Returns:
            Tensor: (N, h, w) ``ReLU(Σ_k w_k A_k)``.
        """
        linear = gap_linear_weights(model) if type(self.base) is GradCAM else None
        if linear is not None:
            weights = linear[classes].to(feats.dtype) / feats[0, 0].numel()
        else:
            weights = self.base.get_cam_weights(model, feats.detach(), labels)
            weights = weights[torch.arange(len(classes)), classes]
        return torch.einsum('nk,nkhw->nhw', weights.detach(), feats).clamp(min=0)
