"""Keeping the universal perturbation that fools best on held-out images, as the
GD-UAP code does (Mopuri et al., TPAMI 2018; their segmentation ``train.py``).

Their loop validates the perturbation every 400 iterations (and before halving
it, once 200 have passed since the last check) on held-out images, 1000 ImageNet
images that the crafting never sees, keeps the one with the highest fooling rate
(a later one on ties) and stops after 10 checks without improvement. The
fooling rate of a segmentor is the fraction of pixels whose predicted class
changes when the perturbation is added. Here the held-out images are the
crafting split's last ones, the checks come every ``check_every`` steps, and a
prediction is the argmax over dimension 1 of the crafting network's raw output
(``mode='tensor'``): a segmentor's (B, C, h, w) logits flip per pixel, a
classifier's (B, C) logits per image.
"""

from typing import List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from torch import Tensor

from .image_space import ImageSpace
from .universal import apply_perturbation


def predictions(model: nn.Module, inputs: Tensor) -> Tensor:
    """The argmax over dimension 1 of ``model(inputs, mode='tensor')`` (the first
    output where the model returns several).

    Args:
        inputs (Tensor): (B, 3, H, W) normalised inputs.

    Returns:
        Tensor: (B, h, w) or (B,) int64.
    """
    outputs = model(inputs, mode='tensor')
    if isinstance(outputs, (tuple, list)):
        outputs = outputs[0]
    return outputs.argmax(1)


class FoolingRateSelector:
    """Checks a perturbation being crafted on held-out images and keeps the best.

    Call :meth:`update` after every crafting step and :meth:`finish` at the end;
    :attr:`best` is then the perturbation of the highest fooling rate seen.

    Args:
        model (nn.Module): the crafting network (eval mode) with a normalising
            data preprocessor and ``forward(inputs, mode='tensor')``.
        images (Sequence[Tensor]): held-out RGB pixel batches (B, 3, H, W) in
            [0, 255], any dtype (e.g. uint8 on the CPU, moved to the model's
            device as float when used) and any sizes (the perturbation is
            fitted to each).
        check_every (int): crafting steps between two checks (>= 1).
        patience (int): checks without improvement before :meth:`update` says
            stop (GD-UAP's 10).
        fit (str): how the perturbation meets an image of another size
            (:func:`~wsss_mm.attacks.fit_perturbation`).

    Attributes:
        best (Tensor | None): (3, h, w), the perturbation kept so far.
        best_rate (float): its fooling rate (0-1); -1 before the first check.
        best_step (int | None): the crafting step it came from.
        history (list[tuple[int, float]]): (step, fooling rate) of every check.

    Raises:
        ValueError: no held-out image, ``check_every < 1`` or ``patience < 1``.
    """

    def __init__(
        self,
        model: nn.Module,
        images: Sequence[Tensor],
        check_every: int,
        patience: int = 10,
        fit: str = 'resize',
    ):
        if not images:
            raise ValueError('the fooling-rate check needs at least one held-out image')
        if check_every < 1 or patience < 1:
            raise ValueError(
                f'check_every and patience must be >= 1, got {check_every} and {patience}'
            )
        self.model = model
        self.space = ImageSpace(model)
        self.device = self.space.preprocessor.mean.device
        self.images = list(images)
        self.check_every = check_every
        self.patience = patience
        self.fit = fit
        with torch.no_grad():
            self.clean = [predictions(model, self.space.normalize(self._pixels(x))) for x in images]
        self.best: Optional[Tensor] = None
        self.best_rate = -1.0
        self.best_step: Optional[int] = None
        self.history: List[Tuple[int, float]] = []
        self._last_check = 0
        self._misses = 0

    def _pixels(self, images: Tensor) -> Tensor:
        return images.to(self.device, torch.float32)

    @torch.no_grad()
    def fooling_rate(self, perturbation: Tensor) -> float:
        """The fraction of predictions (pixels or images) of the held-out images
        that ``perturbation`` (3, h, w) changes."""
        flipped = total = 0
        for pixels, clean in zip(self.images, self.clean):
            adv = apply_perturbation(self._pixels(pixels), perturbation, self.fit)
            flipped += int((predictions(self.model, self.space.normalize(adv)) != clean).sum())
            total += clean.numel()
        return flipped / max(total, 1)

    def check(self, step: int, perturbation: Tensor) -> bool:
        """Measures ``perturbation`` and keeps it if it fools at least as much as
        the best so far.

        Returns:
            bool: ``patience`` checks in a row brought no improvement.
        """
        rate = self.fooling_rate(perturbation)
        self.history.append((step, rate))
        self._last_check = step
        if rate > self.best_rate:
            self._misses = 0
        else:
            self._misses += 1
        if rate >= self.best_rate:
            self.best_rate, self.best_step = rate, step
            self.best = perturbation.detach().clone()
        return self._misses >= self.patience

    def update(self, step: int, perturbation: Tensor, rescaling: bool = False) -> bool:
        """After crafting step ``step`` (1-based): checks every ``check_every``
        steps, and before a rescaling (``rescaling=True``, GD-UAP's halving) once
        half of that has passed.

        Returns:
            bool: stop crafting (see :meth:`check`).
        """
        since = step - self._last_check
        stop = False
        if since >= self.check_every or (rescaling and 2 * since > self.check_every):
            stop = self.check(step, perturbation)
        if rescaling:
            self._last_check = step  # theirs: the next check counts from the halving
        return stop

    def finish(self, step: int, perturbation: Tensor) -> Tensor:
        """Checks the last perturbation (step ``step``) unless it was just checked.

        Returns:
            Tensor: :attr:`best`.
        """
        if not self.history or self.history[-1][0] != step:
            self.check(step, perturbation)
        return self.best
