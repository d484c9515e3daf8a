"""FGSM (Goodfellow et al., ICLR 2015): one signed-gradient step of size ε on the
segmentation loss, in pixel units."""

from typing import Sequence

import torch
import torch.nn as nn
from torch import Tensor

from .image_space import ImageSpace, clamp_pixels
from .objectives import segmentation_loss


def fgsm(
    model: nn.Module, space: ImageSpace, pixels: Tensor, data_samples: Sequence, eps: float
) -> Tensor:
    """``clamp(x + eps * sign(grad_x L), 0, 255)``, L the cross-entropy of
    :func:`~wsss_mm.attacks.objectives.segmentation_loss`.

    Args:
        model (nn.Module): the segmentor (eval mode).
        space (ImageSpace): the model's image space.
        pixels (Tensor): (B, 3, H, W) clean RGB pixels in [0, 255].
        data_samples (list[SegDataSample]): with ``gt_sem_seg``.
        eps (float): L∞ radius in pixel units (0-255).

    Returns:
        Tensor: (B, 3, H, W) adversarial pixels, ``|x_adv - x| <= eps``.
    """
    x = pixels.detach().requires_grad_(True)
    loss = segmentation_loss(model, space.normalize(x), data_samples)
    (grad,) = torch.autograd.grad(loss, x)
    return clamp_pixels(pixels + eps * grad.sign()).detach()
