"""AdvCAM (Lee et al., "Anti-Adversarially Manipulated Attributions for Weakly
and Semi-Supervised Semantic Segmentation", CVPR 2021; seed 001)."""

import copy
from typing import Callable, Iterator, Optional

import torch
import torch.nn as nn

from wsss_mm.registry import CAM_METHODS

from .base_cam import BaseCAMMethod, present_pairs, scatter_pairs
from .grad_cam import GradCAM

GRAD_NORMS = ('max', 'none')
SUPPRESS = ('all', 'labels')
SCORES = ('logits', 'relu_cam')
REG_REDUCTIONS = ('mean', 'sum')

#: The two forms of AdvCAM; an option given to ``AdvCAM`` overrides its preset's.
PRESETS = dict(
    # Eqs. 3-7 of the paper with scale-neutral maps: the map is Grad-CAM with summed
    # gradients (= CAM for a GAP + linear head, the paper's CAM(x)), the scores are
    # the network's logits, and the regulariser is the mean over the grid, in the
    # units of the logits (GAP of the map), so λ means the same at every scale.
    paper=dict(
        base=dict(type='GradCAM'),
        steps=27,
        step_size=0.08,
        grad_norm='max',
        reg_coeff=7.0,
        reg_reduce='mean',
        mask_threshold=0.5,
        suppress='all',
        score='logits',
        flip_pairs=False,
        include_last=True,
        half_step_scales=(0.5,),
    ),
    # jbeomlee93/AdvCAM (obtain_CAM_masking.py, gradCAM.py): Grad-CAM of the
    # global-sum-pooled ReLU'd class map with gap2d_pos weights, scores GAP(ReLU(A W)),
    # the regulariser a SUM over the grid, an image and its flip climbing as one pair,
    # and the maps of steps 0..T-1 summed.
    authors=dict(
        base=dict(type='GradCAM', reduce='positive_mean', score='relu_cam_sum'),
        steps=27,
        step_size=0.08,
        grad_norm='max',
        reg_coeff=7.0,
        reg_reduce='sum',
        mask_threshold=0.5,
        suppress='all',
        score='relu_cam',
        flip_pairs=True,
        include_last=False,
        half_step_scales=(0.5,),
    ),
)


@CAM_METHODS.register_module()
class AdvCAM(BaseCAMMethod):
    """Adversarial climbing of the image towards its class (seed 001, Eqs. 3-7).

    For every present (image, class c) pair, from ``x^0`` (the image):

        L = y_c − Σ_{k ≠ c} y_k − λ R(M ⊙ |A(x^{t-1}) − A(x^0)|)          (Eq. 7)
        M = 1[A(x^{t-1}) / max A(x^{t-1}) > τ]                             (Eq. 5)
        x^t = clamp(x^{t-1} + ξ ∇L / max|∇L|, min x^{t-1}, max x^{t-1})   (Eq. 6)

    and the result is ``Σ_t A(x^t)`` (Eq. 4 before the max normalisation,
    which the multi-scale aggregation does). ``A`` is the base method's map of
    class ``c``, ``y`` the class scores, ``R`` the sum or mean over the grid.

    Two presets (``PRESETS``) hold the options of the paper's form
    (``'paper'``, default) and of the authors' code (``'authors'``); any option
    passed overrides the preset's. docs/methods/advcam.md compares them.

    All pairs of a batch climb together: each (image, class) pair is one row
    of one batch, so each step is one forward and one backward pass of the
    model over all rows; the authors' code loops over classes and scales in
    Python. The base's channel weights are computed on the detached features
    (constants of the objective, as the authors' hooked Grad-CAM gives them);
    for a :class:`GradCAM` base their gradients are closed-form where the
    score allows it. Rows are independent (the model must be in eval mode), so
    the batch gives the maps of a per-class loop.

    With ``flip_pairs`` the batch must be ``cat([x, x.flip(-1)])`` (what
    :func:`multiscale_cams` passes with ``flip=True``): each image climbs with
    its mirror image as the authors' 2-image batch does. The pair shares the
    map ``A = A(row) + flip(A(mirror row))`` of the mask and the regulariser,
    the gradient's max-normalisation, the clamp range, and the count of
    positive gradients of a ``'positive_mean'`` Grad-CAM; each row returns its
    own maps, which the aggregation adds as the authors' code does.

    Multi-scale inference asks :meth:`at_scale` for the method of each scale:
    the scales in ``half_step_scales`` climb ``T // 2`` steps.

    Args:
        preset (str): ``'paper'`` or ``'authors'``. Default: 'paper'.
        base (dict): the attribution method whose maps climb, from
            ``CAM_METHODS``; it must compute channel weights
            (``get_cam_weights``).
        steps (int): T.
        step_size (float): ξ; 0.08 with ``grad_norm='max'`` (the authors'
            code), the paper's ξ = 0.008 goes with ``'none'``.
        grad_norm (str): ``'max'``: the step is ``ξ ∇L / max|∇L|``, the max over
            each row (pair); ``'none'``: ``ξ ∇L``.
        reg_coeff (float): λ.
        reg_reduce (str): ``R``: ``'mean'`` over the grid (the logits' units) or
            ``'sum'`` (the authors', whose λ = 7 weighs a sum of maps scaled as
            ``CAM / K⁺`` against GAP scores).
        mask_threshold (float): τ.
        suppress (str): the scores subtracted: ``'all'`` other classes (Eq. 7)
            or only the other ground-truth ``'labels'``.
        score (str): ``y``: ``'logits'``, the CAM network's logits (the paper),
            or ``'relu_cam'``, ``GAP(ReLU(A · W_k))`` with ``W = cam_weights()``
            (the code: an absent class only pulls where its map is > 0).
        flip_pairs (bool): climb each image with its mirror image as one pair.
        include_last (bool): sum the maps of steps ``0..T`` (Eq. 4) or of
            ``0..T-1`` (the code, which never looks at the last image; at
            T = 0 the base map).
        half_step_scales (Sequence[float]): scales that climb ``T // 2`` steps.
    """

    uses_features = False  # the climbing extracts the features of every step

    def __init__(self, preset: str = 'paper', **options) -> None:
        if preset not in PRESETS:
            raise ValueError(f'preset must be one of {sorted(PRESETS)}, got "{preset}"')
        unknown = sorted(set(options) - set(PRESETS[preset]))
        if unknown:
            raise TypeError(f'AdvCAM has no option {unknown}; options: {sorted(PRESETS[preset])}')
        opts = {**PRESETS[preset], **options}
        self.preset = preset
        self.base = CAM_METHODS.build(opts['base'])
        if type(self.base).get_cam_weights is BaseCAMMethod.get_cam_weights:
            raise TypeError(
                f'AdvCAM needs a base method that computes channel weights from the '
                f'features (get_cam_weights), e.g. CAM, GradCAM, GradCAMPlusPlus, '
                f'MinMaxCAM; {type(self.base).__name__} does not'
            )
        for name, allowed in (
            ('grad_norm', GRAD_NORMS),
            ('suppress', SUPPRESS),
            ('score', SCORES),
            ('reg_reduce', REG_REDUCTIONS),
        ):
            if opts[name] not in allowed:
                raise ValueError(f'{name} must be one of {allowed}, got "{opts[name]}"')
        if opts['steps'] < 0:
            raise ValueError(f'steps must be >= 0, got {opts["steps"]}')
        self.steps = int(opts['steps'])
        self.step_size = float(opts['step_size'])
        self.grad_norm = opts['grad_norm']
        self.reg_coeff = float(opts['reg_coeff'])
        self.reg_reduce = opts['reg_reduce']
        self.mask_threshold = float(opts['mask_threshold'])
        self.suppress = opts['suppress']
        self.score = opts['score']
        self.flip_pairs = bool(opts['flip_pairs'])
        self.include_last = bool(opts['include_last'])
        self.half_step_scales = tuple(opts['half_step_scales'])

    def at_scale(self, scale: float) -> 'AdvCAM':
        """This method, with ``T // 2`` steps at the scales of ``half_step_scales``."""
        if scale not in self.half_step_scales:
            return self
        scaled = copy.copy(self)
        scaled.steps = self.steps // 2
        return scaled

    @property
    def num_maps(self) -> int:
        """How many maps are summed: ``T + 1``, or ``max(T, 1)`` without the last."""
        return self.steps + 1 if self.include_last else max(self.steps, 1)

    def check_inputs(
        self, model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """:meth:`BaseCAMMethod.check_inputs`, and the model in eval mode and,
        with ``flip_pairs``, the batch ``cat([x, x.flip(-1)])``.

        Raises:
            ValueError: the model is in training mode, or a flip-pair batch is
                not one.
        """
        labels = super().check_inputs(model, inputs, labels)
        if model.training:
            raise ValueError(
                'AdvCAM needs the model in eval mode (model.eval()): in '
                'training mode BatchNorm and dropout would mix the rows'
            )
        if self.flip_pairs:
            check_flip_pairs(inputs, labels)
        return labels

    def get_cam_image(
        self,
        model: nn.Module,
        inputs: torch.Tensor,
        feats: Optional[torch.Tensor],
        labels: torch.Tensor,
    ) -> torch.Tensor:
        """Climbs every present (image, class) pair from its image (:meth:`climb`).

        Args:
            model (nn.Module): the CAM network, in eval mode.
            inputs (Tensor): (B, 3, H, W) normalised images; with
                ``flip_pairs`` ``cat([x, x.flip(-1)])``.
            feats (None): unused (``uses_features`` is False): the climbing
                extracts the features of every step itself.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C, h, w) the summed maps, zero for absent classes.
        """
        # with flip pairs, the rows of the mirror images follow those of the images
        # in the same order: row n and row n + N/2 are a pair
        img_idx, cls_idx = present_pairs(labels)
        if len(img_idx) == 0:  # nothing to climb: zero maps on the feature grid
            return torch.zeros_like(model.extract_feat(inputs)[:, :1]) * labels[..., None, None]
        maps = self.climb(model, inputs[img_idx], labels[img_idx], cls_idx)
        return scatter_pairs(maps, labels)

    def climb(
        self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, classes: torch.Tensor
    ) -> torch.Tensor:
        """Climbs every row (pair) towards its class.

        Args:
            model (nn.Module): a CAM network in eval mode.
            images (Tensor): (N, 3, H, W) normalised images, one per row; with
                ``flip_pairs``, rows ``n`` and ``n + N/2`` are an image and its
                mirror image.
            labels (Tensor): (N, C) multi-hot labels of each row's image.
            classes (Tensor): (N,) the class each row climbs towards.

        Returns:
            Tensor: (N, h, w) the sum of the maps ``A(x^t)`` of each row's class, >= 0.
        """
        return sum(self.climb_steps(model, images, labels, classes))

    def climb_steps(
        self, model: nn.Module, images: torch.Tensor, labels: torch.Tensor, classes: torch.Tensor
    ) -> Iterator[torch.Tensor]:
        """Yields the map ``A(x^t)`` of each row's class, for the
        :attr:`num_maps` steps that are summed.

        Each step is one forward pass of the model over the rows, and one
        backward pass to the inputs (none after the last map); the gradient
        never reaches the model's parameters.

        Args: as :meth:`climb`.

        Yields:
            Tensor: (N, h, w) >= 0, detached.
        """
        coefs = -torch.ones_like(labels) if self.suppress == 'all' else -labels
        coefs[torch.arange(len(classes)), classes] = 1
        x, init = images.detach(), None
        for step in range(self.num_maps):
            climbing = step < self.num_maps - 1
            with torch.set_grad_enabled(climbing):
                x.requires_grad_(climbing)
                feats = model.extract_feat(x)
                maps = self.row_maps(model, x.detach(), feats, labels, classes)
                if climbing:
                    joint = self.pair_maps(maps)
                    init = joint.detach() if init is None else init
                    peak = joint.detach().flatten(1).amax(dim=1)[:, None, None]
                    mask = joint.detach() > self.mask_threshold * peak
                    reg = (mask * (joint - init).abs()).flatten(1)
                    reg = reg.sum(dim=1) if self.reg_reduce == 'sum' else reg.mean(dim=1)
                    objective = (
                        self.class_scores(model, feats) * coefs
                    ).sum() - self.reg_coeff * reg.sum()
                    (grad,) = torch.autograd.grad(objective, x)
            yield maps.detach()
            if climbing:
                x = self.ascend(x.detach(), grad)

    def ascend(self, x: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
        """One step ``x + ξ ∇`` (∇ max-normalised per row, or pair, with
        ``grad_norm='max'``), clamped to the range of each row (pair) of ``x``.

        Args:
            x, grad (Tensor): (N, 3, H, W).
        """
        if self.grad_norm == 'max':
            grad = (
                grad
                / (self.per_pair(grad.abs().flatten(1).amax(dim=1), torch.maximum) + 1e-12)[
                    :, None, None, None
                ]
            )
        low = self.per_pair(x.flatten(1).amin(dim=1), torch.minimum)[:, None, None, None]
        high = self.per_pair(x.flatten(1).amax(dim=1), torch.maximum)[:, None, None, None]
        return torch.minimum(torch.maximum(x + self.step_size * grad, low), high)

    def per_pair(
        self, values: torch.Tensor, combine: Callable[[torch.Tensor, torch.Tensor], torch.Tensor]
    ) -> torch.Tensor:
        """(N,) per-row values -> (N,) the pair's combined value with
        ``flip_pairs``, the values themselves otherwise."""
        if not self.flip_pairs:
            return values
        half = len(values) // 2
        joint = combine(values[:half], values[half:])
        return torch.cat([joint, joint])

    def pair_maps(self, maps: torch.Tensor) -> torch.Tensor:
        """(N, h, w) row maps -> the maps of the mask and the regulariser: with
        ``flip_pairs`` (N/2, h, w) ``A(row) + flip(A(mirror row))``, else ``maps``."""
        if not self.flip_pairs:
            return maps
        half = len(maps) // 2
        return maps[:half] + maps[half:].flip(-1)

    def class_scores(self, model: nn.Module, feats: torch.Tensor) -> torch.Tensor:
        """(N, K, h, w) features -> (N, C) the scores ``y`` of the objective."""
        if self.score == 'logits':
            return model.predict_logits(feats)
        class_maps = torch.einsum('ck,nkhw->nchw', model.cam_weights().to(feats.dtype), feats)
        return class_maps.clamp(min=0).mean(dim=(2, 3))

    def row_maps(
        self,
        model: nn.Module,
        images: torch.Tensor,
        feats: torch.Tensor,
        labels: torch.Tensor,
        classes: torch.Tensor,
    ) -> torch.Tensor:
        """The base map of each row's class, differentiable through the features.

        Channel weights are computed on the detached features, without a graph.

        Args:
            model (nn.Module): the CAM network.
            images (Tensor): (N, 3, H, W) the rows' current images, detached.
            feats (Tensor): (N, K, h, w) their features, with the graph to the input.
            labels (Tensor): (N, C) multi-hot labels of each row's image.
            classes (Tensor): (N,) each row's class.

        Returns:
            Tensor: (N, h, w) ``ReLU(Σ_k w_k A_k)``.
        """
        if type(self.base) is GradCAM:
            grads = self.base.score_gradients(model, feats, classes)
            weights = self.base.reduce_gradients(grads, self.pair_ids(len(classes), feats.device))
        else:
            with torch.no_grad():
                weights = self.base.get_cam_weights(model, images, feats.detach(), labels)
            weights = weights[torch.arange(len(classes)), classes]
        return torch.einsum('nk,nkhw->nhw', weights.detach(), feats).clamp(min=0)

    def pair_ids(self, num_rows: int, device: torch.device) -> Optional[torch.Tensor]:
        """(N,) the pair of each row with ``flip_pairs``; None (each row alone)
        otherwise."""
        if not self.flip_pairs:
            return None
        return torch.arange(num_rows, device=device) % (num_rows // 2)


def check_flip_pairs(inputs: torch.Tensor, labels: torch.Tensor) -> None:
    """Raises ``ValueError`` unless the batch is ``cat([x, x.flip(-1)])`` with
    equal labels for both halves."""
    half = inputs.shape[0] // 2
    if (
        inputs.shape[0] % 2
        or not torch.equal(inputs[half:], inputs[:half].flip(-1))
        or not torch.equal(labels[half:], labels[:half])
    ):
        raise ValueError(
            'AdvCAM(flip_pairs=True) climbs each image with its mirror image as one pair '
            '(the authors\' 2-image batch): it needs the batch cat([x, x.flip(-1)]) with '
            'equal labels for both halves, as multiscale_cams(..., flip=True) passes it; '
            f'got a batch of {inputs.shape[0]} that is not. Use flip inference, or '
            'flip_pairs=False'
        )
