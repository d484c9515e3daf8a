"""UAP: a universal adversarial perturbation crafted on a surrogate classifier, the
black-box transfer attack of the SegMix paper's Table 5 (there, the public
ResNet-152 / GoogLeNet perturbations of Moosavi-Dezfooli et al., CVPR 2017).

Algorithm: the stochastic-gradient UAP of Shafahi et al. ("Universal adversarial
training", AAAI 2020), with signed steps: starting from v = 0, for each minibatch
x of the surrogate's data, ``v <- clip(v + step_size * sign(grad_v L(x + v)), -eps,
eps)``, L the surrogate's own training loss (a CAM network's multi-label loss, an
mmpretrain classifier's cross-entropy). It replaces the DeepFool inner loop of
Moosavi-Dezfooli et al., which needs per-image, per-class gradients. With a
:class:`~wsss_mm.attacks.FoolingRateSelector` the perturbation returned is the one
that fooled the surrogate most on held-out images over the steps (crafting stops
when the selector's patience runs out); without, the last iterate.
"""

from typing import Iterable, Optional

import torch
import torch.nn as nn
from torch import Tensor

from .fooling_rate import FoolingRateSelector
from .image_space import ImageSpace, clamp_pixels
from .objectives import classifier_loss


def craft_uap(
    model: nn.Module,
    batches: Iterable[dict],
    eps: float,
    step_size: float,
    steps: int,
    size: Optional[tuple] = None,
    selector: Optional[FoolingRateSelector] = None,
) -> Tensor:
    """Crafts one image-agnostic perturbation on a classifier.

    Args:
        model (nn.Module): the surrogate classifier (eval mode), an MMEngine model
            with ``forward(mode='loss')`` and a normalising data preprocessor.
        batches (Iterable[dict]): dataloader batches (``inputs``,
            ``data_samples`` with the classifier's labels), cycled until ``steps``
            updates are done; every batch is resized to ``size``.
        eps (float): L∞ radius in pixel units (0-255).
        step_size (float): pixel units per update.
        steps (int): updates (>= 1), one per minibatch.
        size (tuple, optional): (h, w) of the perturbation; default the first
            batch's size.

    Returns:
        Tensor: (3, h, w) RGB perturbation, ``|v| <= eps``.

    Raises:
        ValueError: ``steps < 1`` or no batches.
    """
    if steps < 1:
        raise ValueError(f'UAP steps must be >= 1, got {steps}')
    space = ImageSpace(model)
    v = None
    done, stop = 0, False
    while not stop:
        seen = False
        for data in batches:
            seen = True
            pixels, samples = space.to_pixels(data)
            if v is None:
                size = tuple(size or pixels.shape[-2:])
                v = torch.zeros(3, *size, device=pixels.device)
            pixels = nn.functional.interpolate(
                pixels, size=size, mode='bilinear', align_corners=False
            )
            v.requires_grad_(True)
            loss = classifier_loss(model, space.normalize(clamp_pixels(pixels + v)), samples)
            (grad,) = torch.autograd.grad(loss, v)
            v = (v.detach() + step_size * grad.sign()).clamp(-eps, eps)
            done += 1
            stop = done == steps or (selector is not None and selector.update(done, v))
            if stop:
                break
        if not seen:
            raise ValueError('UAP: the surrogate dataloader yielded no batch')
    if selector is None:
        return v.detach()
    return selector.finish(done, v)
