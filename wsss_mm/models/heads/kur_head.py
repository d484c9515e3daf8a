"""Kernel Usage Regularization head (David et al.; seed 002, Eq. 25 and B.1.4)."""

from typing import Optional

import torch

from wsss_mm.registry import MODELS

from .gap_cls_head import GAPClassifierHead


@MODELS.register_module()
class KURHead(GAPClassifierHead):
    """GAP classifier whose effective kernel is ``W^r = α · W ∘ softmax(W)``.

    The softmax runs over the classes, separately for each feature channel
    ``k`` (seed 002, Eq. 25): a channel strongly tied to one class keeps its
    weight for that class and loses it for the others, and negative weights
    shrink to 0, so classes come to use distinct channels. At initialisation
    ``softmax ≈ 1/C``, which shrinks the weights C-fold; ``α = C`` (KUR-α,
    B.1.4) restores their variance. Logits, CAMs and every CAM method use
    ``W^r`` (:meth:`cam_weights`): the logits are ``GAP(A) (W^r)^T``, linear
    in the pooled features, so the head keeps ``linear_cam = True`` (see
    :class:`GAPClassifierHead`).

    Args:
        in_channels (int): K, channels of the feature map.
        num_classes (int): C, foreground classes.
        alpha (float, optional): α; None (default) means C (KUR-α), 1 is the
            plain KUR of Eq. 25.
        **kwargs: passed to :class:`GAPClassifierHead` (dropout, loss,
            init_cfg).
    """

    def __init__(
        self, in_channels: int, num_classes: int, alpha: Optional[float] = None, **kwargs
    ) -> None:
        super().__init__(in_channels=in_channels, num_classes=num_classes, **kwargs)
        self.alpha = float(num_classes if alpha is None else alpha)

    def cam_weights(self) -> torch.Tensor:
        """The effective kernel ``W^r``.

        Returns:
            Tensor: (C, K).
        """
        weights = self.classifier.weight.flatten(1)
        return self.alpha * weights * weights.softmax(dim=0)
