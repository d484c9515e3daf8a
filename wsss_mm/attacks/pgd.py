"""PGD (Madry et al., ICLR 2018): signed-gradient ascent on the segmentation loss,
projected on the L∞ ball of radius ε around the image, in pixel units."""

from typing import Optional, Sequence

import torch
import torch.nn as nn
from torch import Tensor

from .image_space import ImageSpace, project
from .objectives import segmentation_loss


def pgd(
    model: nn.Module,
    space: ImageSpace,
    pixels: Tensor,
    data_samples: Sequence,
    eps: float,
    step_size: float,
    steps: int,
    random_start: bool = True,
    generator: Optional[torch.Generator] = None,
) -> Tensor:
    """``steps`` iterations of ``x <- P(x + step_size * sign(grad_x L))``, P the
    projection on ``|x - x_clean| <= eps`` and [0, 255]; the last iterate.

    Args:
        model (nn.Module): the segmentor (eval mode).
        space (ImageSpace): the model's image space.
        pixels (Tensor): (B, 3, H, W) clean RGB pixels in [0, 255].
        data_samples (list[SegDataSample]): with ``gt_sem_seg``.
        eps (float): L∞ radius in pixel units (0-255).
        step_size (float): pixel units per step.
        steps (int): iterations (>= 1).
        random_start (bool): start from a uniform point of the ball.
        generator (torch.Generator, optional): the random start's generator
            (on the CPU).

    Returns:
        Tensor: (B, 3, H, W) adversarial pixels.
    """
    if steps < 1:
        raise ValueError(f'PGD steps must be >= 1, got {steps}')
    clean = pixels.detach()
    adv = clean
    if random_start:
        noise = torch.rand(clean.shape, generator=generator).to(clean.device)
        adv = project(clean + (2 * noise - 1) * eps, clean, eps)
    for _ in range(steps):
        x = adv.detach().requires_grad_(True)
        loss = segmentation_loss(model, space.normalize(x), data_samples)
        (grad,) = torch.autograd.grad(loss, x)
        adv = project(x.detach() + step_size * grad.sign(), clean, eps)
    return adv
