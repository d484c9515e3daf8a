"""GD-UAP (Mopuri, Ganeshan and Babu, "Generalizable data-free objective for
crafting universal adversarial perturbations", TPAMI 2018): a universal
perturbation that saturates an encoder's activations.

Objective (minimised): ``-sum_l log ||a_l(x)||_2`` over the outputs ``a_l`` of every
ReLU module of the encoder (the authors' segmentation code hooks every ``relu``
layer; an encoder without ``nn.ReLU`` modules is scored on its output feature
maps). Adam (lr 0.1 in pixel units, theirs) on v, v clipped to [-ε, ε] after
each step, and halved when more than half of it sits at ±ε while that fraction
changes by less than 1e-5 (their saturation rescaling). The input x is

- ``no`` data (R-No): the mean image plus v, i.e. v alone after the mean
  subtraction, as their ``no_data`` prior;
- ``part`` / ``all`` data (R-Part / R-All): a training image plus v, the images
  drawn from a part of the training set or all of it.

With a :class:`~wsss_mm.attacks.FoolingRateSelector` the perturbation returned is
the one that fooled the crafting network most on held-out images over the steps
(checked before each halving too), and crafting stops after the selector's
patience runs out, as in their code; without, the last iterate.
"""

from typing import Iterator, List, Optional, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from .fooling_rate import FoolingRateSelector
from .image_space import ImageSpace, clamp_pixels

#: GD-UAP's data settings: R-No, R-Part, R-All in the SegMix paper's Table 5
DATA_MODES = ('no', 'part', 'all')
#: fraction of |v| at ±eps above which v may be halved, and the change below which it is
SATURATION, SATURATION_CHANGE = 0.5, 1e-5


def activation_loss(encoder: nn.Module, inputs: Tensor) -> Tensor:
    """``-sum_l log ||a_l||_2`` over the encoder's ReLU outputs (else its outputs).

    Args:
        encoder (nn.Module): e.g. a segmentor's ``backbone``.
        inputs (Tensor): (B, 3, H, W) normalised inputs.

    Returns:
        Tensor: scalar.
    """
    norms: List[Tensor] = []

    def keep(_module, _args, output):
        # clone: an in-place op later in the network would break the norm's backward
        norms.append(output.clone().norm())

    hooks = [m.register_forward_hook(keep) for m in encoder.modules() if isinstance(m, nn.ReLU)]
    try:
        outputs = encoder(inputs)
    finally:
        for hook in hooks:
            hook.remove()
    if not norms:
        outputs = outputs if isinstance(outputs, (tuple, list)) else [outputs]
        norms = [out.norm() for out in outputs]
    return -torch.stack([n.clamp(min=1e-12).log() for n in norms]).sum()


def craft_gd_uap(
    model: nn.Module,
    size: Sequence[int],
    eps: float,
    steps: int,
    images: Optional[Iterator[Tensor]] = None,
    lr: float = 0.1,
    generator: Optional[torch.Generator] = None,
    selector: Optional[FoolingRateSelector] = None,
) -> Tensor:
    """Crafts a GD-UAP perturbation on ``model.backbone``.

    Args:
        model (nn.Module): a model with a ``backbone`` and a normalising data
            preprocessor (eval mode); its encoder is attacked.
        size (tuple[int, int]): (h, w) of the perturbation.
        eps (float): L∞ radius in pixel units (0-255).
        steps (int): Adam steps (>= 1).
        images (Iterator[Tensor], optional): RGB pixel batches (B, 3, h, w) in
            [0, 255] (the ``part`` / ``all`` settings); None: no data (``no``).
        lr (float): Adam's learning rate in pixel units.
        generator (torch.Generator, optional): v's uniform initialisation in
            [-eps, eps] (on the CPU).
        selector (FoolingRateSelector, optional): keeps the perturbation that
            fools ``model`` most on held-out images; None: the last iterate.

    Returns:
        Tensor: (3, h, w) RGB perturbation, ``|v| <= eps``.

    Raises:
        TypeError: the model has no ``backbone``.
        ValueError: ``steps < 1``.
    """
    if steps < 1:
        raise ValueError(f'GD-UAP steps must be >= 1, got {steps}')
    encoder = getattr(model, 'backbone', None)
    if encoder is None:
        raise TypeError(f'GD-UAP attacks an encoder: {type(model).__name__} has no backbone')
    space = ImageSpace(model)
    pre = space.preprocessor
    device = pre.mean.device
    mean_rgb = (pre.mean if space.to_rgb else pre.mean.flip(0))[None]
    init = (2 * torch.rand(3, *size, generator=generator) - 1) * eps
    v = init.to(device).requires_grad_(True)
    optimizer = torch.optim.Adam([v], lr=lr)
    saturation = 0.0
    for step in range(1, steps + 1):
        if images is None:
            pixels = mean_rgb + v[None]
        else:
            batch = next(images).to(device)
            if tuple(batch.shape[-2:]) != tuple(size):
                batch = F.interpolate(batch, size=tuple(size), mode='bilinear', align_corners=False)
            pixels = batch + v[None]
        loss = activation_loss(encoder, space.normalize(clamp_pixels(pixels)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            v.clamp_(-eps, eps)
            previous, saturation = saturation, (v.abs() >= eps).float().mean().item()
            rescale = saturation > SATURATION and abs(saturation - previous) < SATURATION_CHANGE
            stop = selector is not None and selector.update(step, v, rescaling=rescale)
            if rescale:
                v.div_(2)
        if stop:
            break
    if selector is None:
        return v.detach()
    return selector.finish(step, v.detach())
