"""Universal perturbations: one (3, h, w) RGB array in pixel units, saved once and
added to every image of every model.

Files are ``.npy`` float32 arrays (3, h, w), RGB, pixel units (0-255 scale),
written atomically and read with ``allow_pickle=False``. An image of another size
gets the perturbation resized bilinearly to its size (``fit='resize'``: a convex
combination of values in [-ε, ε], so it stays in the ball) or tiled from the
top-left corner (``fit='tile'``: keeps the pattern's scale).
"""

import os.path as osp

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from wsss_mm.utils.io import atomic_path

from .image_space import clamp_pixels

#: how a perturbation meets an image of another size
FITS = ('resize', 'tile')


def save_perturbation(path: str, perturbation: Tensor) -> None:
    """Writes ``perturbation`` (3, h, w) float to ``path`` (.npy) atomically."""
    if perturbation.ndim != 3 or perturbation.shape[0] != 3:
        raise ValueError(
            f'{path}: a universal perturbation is (3, h, w), got {tuple(perturbation.shape)}'
        )
    array = perturbation.detach().cpu().numpy().astype(np.float32)
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            np.save(f, array, allow_pickle=False)


def load_perturbation(path: str, eps: float) -> Tensor:
    """Reads a perturbation file and checks it.

    Returns:
        Tensor: (3, h, w) float32.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a (3, h, w) float array, or an L∞ norm above ``eps``
            (a file made with another ε).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'perturbation file not found: {path}')
    array = np.load(path, allow_pickle=False)
    if array.ndim != 3 or array.shape[0] != 3 or array.dtype != np.float32:
        raise ValueError(
            f'{path}: expected a float32 (3, h, w) perturbation, got {array.dtype} {array.shape}'
        )
    norm = float(np.abs(array).max()) if array.size else 0.0
    if norm > eps + 1e-4:
        raise ValueError(
            f'{path}: L-inf norm {norm:.4g} exceeds eps={eps:g} (made with another '
            'eps? delete it to craft it again)'
        )
    return torch.from_numpy(array)


def fit_perturbation(perturbation: Tensor, size: tuple, fit: str = 'resize') -> Tensor:
    """``perturbation`` (3, h, w) at ``size`` (H, W): resized bilinearly or tiled.

    Returns:
        Tensor: (3, H, W).
    """
    if fit not in FITS:
        raise ValueError(f'fit must be one of {FITS}, got "{fit}"')
    height, width = size
    if tuple(perturbation.shape[-2:]) == (height, width):
        return perturbation
    if fit == 'resize':
        return F.interpolate(
            perturbation[None], size=(height, width), mode='bilinear', align_corners=False
        )[0]
    reps_h = -(-height // perturbation.shape[1])
    reps_w = -(-width // perturbation.shape[2])
    return perturbation.repeat(1, reps_h, reps_w)[:, :height, :width]


def apply_perturbation(pixels: Tensor, perturbation: Tensor, fit: str = 'resize') -> Tensor:
    """``clamp(x + v, 0, 255)``: ``pixels`` (B, 3, H, W) RGB, ``perturbation``
    (3, h, w) fitted to (H, W) (:func:`fit_perturbation`)."""
    v = fit_perturbation(perturbation.to(pixels), tuple(pixels.shape[-2:]), fit)
    return clamp_pixels(pixels + v)
