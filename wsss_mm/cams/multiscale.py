"""Multi-scale + flip CAM inference, the protocol of IRN / AdvCAM / PuzzleCAM."""

import math
from typing import Callable, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.models.utils import resize

from wsss_mm.utils.maps import max_normalize

from .base_cam import BaseCAMMethod

CAMMethod = Callable[[nn.Module, torch.Tensor, torch.Tensor], torch.Tensor]

#: how the images are rescaled and the maps brought back to the image's size
GEOMETRIES = ('bilinear', 'irn')
#: the stride whose multiple IRN's code upsamples the maps to (``get_strided_up_size``)
IRN_MAP_STRIDE = 16


def rescale_images(inputs: torch.Tensor, scale: float, geometry: str = 'bilinear') -> torch.Tensor:
    """The images at one inference scale.

    Args:
        inputs (Tensor): (B, 3, H, W) normalised images.
        scale (float): the scale.
        geometry (str): ``'bilinear'``: ``floor(H · scale)`` x ``floor(W ·
            scale)``, bilinear. ``'irn'``: ``round(H · scale)`` x ``round(W ·
            scale)`` (round half to even, as ``np.round``), bicubic with
            PIL's kernel (antialiased, ``a = -0.5``): IRN's ``pil_rescale``
            (``misc/imutils.py``), which AdvCAM, Puzzle-CAM and P-NOC copy.
            PIL resizes the 8-bit image in two passes and rounds (and clips)
            to 0..255 after each; here the normalised image is resized as it
            is (about one grey level apart).

    Returns:
        Tensor: (B, 3, H', W').
    """
    if scale == 1:
        return inputs
    if geometry == 'irn':
        height, width = inputs.shape[-2:]
        size = (round(height * scale), round(width * scale))
        return F.interpolate(inputs, size=size, mode='bicubic', align_corners=False, antialias=True)
    return F.interpolate(
        inputs,
        scale_factor=scale,
        mode='bilinear',
        align_corners=False,
        recompute_scale_factor=False,
    )


def maps_to_image_size(
    cams: torch.Tensor, size: Tuple[int, int], geometry: str = 'bilinear'
) -> torch.Tensor:
    """Maps of one scale upsampled to the image's size.

    Args:
        cams (Tensor): (B, C, h, w) maps.
        size (tuple): (H, W) of the image.
        geometry (str): ``'bilinear'``: bilinear to (H, W). ``'irn'``: bilinear
            to the next multiples of 16, ``(ceil(H / 16) · 16, ceil(W / 16) ·
            16)``, then cropped to (H, W) from the top left (IRN's
            ``step/make_cam.py``, ``strided_up_size``; AdvCAM, Puzzle-CAM and
            P-NOC's ``inference.py`` copy it). The map is stretched over the
            padded size, so its content lies further right and down than with
            ``'bilinear'``, by up to 15 pixels at the far edges: at stride 16
            and scale 1 each cell then covers its own 16 pixels, where
            ``'bilinear'`` squeezes the cells into (H, W).

    Returns:
        Tensor: (B, C, H, W).
    """
    height, width = size
    if geometry == 'irn':
        padded = (
            math.ceil(height / IRN_MAP_STRIDE) * IRN_MAP_STRIDE,
            math.ceil(width / IRN_MAP_STRIDE) * IRN_MAP_STRIDE,
        )
        return resize(cams, size=padded, mode='bilinear', align_corners=False)[..., :height, :width]
    return resize(cams, size=(height, width), mode='bilinear', align_corners=False)


def multiscale_cams(
    method: CAMMethod,
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
    flip: bool = True,
    geometry: str = 'bilinear',
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
        geometry (str): how the images are rescaled and the maps resized back:
            ``'bilinear'`` (default) or ``'irn'``, the code of IRN, AdvCAM,
            Puzzle-CAM and P-NOC (:func:`rescale_images`,
            :func:`maps_to_image_size`).

    Returns:
        Tensor: (B, C, H, W) in [0, 1]; zero for absent classes.

    Raises:
        ValueError: no scale, or an unknown geometry.
    """
    if not scales:
        raise ValueError('scales must list at least one scale')
    if geometry not in GEOMETRIES:
        raise ValueError(f'geometry must be one of {GEOMETRIES}, got "{geometry}"')
    batch, _, height, width = inputs.shape
    total = None
    for scale in scales:
        x = rescale_images(inputs, scale, geometry)
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
        cams = maps_to_image_size(cams, (height, width), geometry)
        total = cams if total is None else total + cams
    if hasattr(model, 'normalize_cams'):  # the network's own normalisation (CPN)
        return model.normalize_cams(total)
    return max_normalize(total.clamp(min=0))
