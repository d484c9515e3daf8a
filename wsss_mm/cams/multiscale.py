"""Multi-scale + flip CAM inference, the protocol of IRN / AdvCAM / PuzzleCAM."""

from typing import Callable, Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.utils import resize

from wsss_mm.utils.maps import max_normalize

from .base_cam import BaseCAMMethod

CAMMethod = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]


def multiscale_cams(
    method: CAMMethod,
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
    flip: bool = True,
) -> torch.Tensor:
    """CAMs summed over scales and horizontal flips, max-normalised per class.

    Each scale runs once, as one batch holding the images and (with ``flip``)
    their mirror images; all present classes are computed in that same call,
    by ``method.at_scale(scale)`` for a :class:`BaseCAMMethod` (AdvCAM climbs
    fewer steps at small scales).
    Per scale, the maps are ``cam(x) + flip(cam(flip(x)))``, upsampled to the
    input size; the sum over scales is max-normalised per class. A network
    that refines CAMs itself (CPN's PCM + PRCM) has an optional protocol method
    ``model.refine_cams(inputs, cams, labels) -> cams`` ((B, C, h, w) >= 0, zero
    for absent classes), applied here to the maps of any method, and may
    normalise the sum itself with ``model.normalize_cams(total) -> cams``.

    Args:
        method: a CAM method (``CAM_METHODS``).
        model (nn.Module): a CAM network, in eval mode.
        inputs (Tensor): (B, 3, H, W) normalised images of one size.
        labels (Tensor): (B, C) multi-hot.
        scales (Sequence[float]): input scales.
        flip (bool): add the horizontally flipped images.

    Returns:
        Tensor: (B, C, H, W) in [0, 1]; zero for absent classes.
    """
    if not scales:
        raise ValueError('scales must list at least one scale')
    batch, _, height, width = inputs.shape
    total = None
    for scale in scales:
        x = (
            inputs
            if scale == 1
            else F.interpolate(
                inputs,
                scale_factor=scale,
                mode='bilinear',
                align_corners=False,
                recompute_scale_factor=False,
            )
        )
        x_labels = labels
        if flip:
            x = torch.cat([x, x.flip(-1)])
            x_labels = torch.cat([labels, labels])
        scaled = method.at_scale(scale) if isinstance(method, BaseCAMMethod) else method
        cams = scaled(model, x, x_labels)
        if hasattr(model, 'refine_cams'):  # the network's own refinement (CPN)
            cams = model.refine_cams(x, cams, x_labels)
        if flip:
            cams = cams[:batch] + cams[batch:].flip(-1)
        cams = resize(cams, size=(height, width), mode='bilinear', align_corners=False)
        total = cams if total is None else total + cams
    if hasattr(model, 'normalize_cams'):  # the network's own normalisation (CPN)
        return model.normalize_cams(total)
    return max_normalize(total.clamp(min=0))
