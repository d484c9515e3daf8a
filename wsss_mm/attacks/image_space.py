"""The attacks' image space: RGB pixels in [0, 255], before a model's normalisation.

Every attack of :mod:`wsss_mm.attacks` perturbs images in this space, so that ε
and step sizes are pixel units whatever the model's mean / std, and one
universal perturbation is added to the same pixels for every model.
"""

from typing import Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.structures import PixelData
from torch import Tensor

from .objectives import IGNORE_INDEX

#: the value range of the image space
PIXEL_MIN, PIXEL_MAX = 0.0, 255.0


class ImageSpace:
    """Converts a dataloader batch to pixels and pixels to a model's inputs
    through the model's own data preprocessor (mmseg's ``SegDataPreProcessor``,
    mmpretrain's ``ClsDataPreProcessor`` or a subclass).

    Args:
        model (nn.Module): an MMEngine model with a ``data_preprocessor`` that has
            ``mean`` / ``std`` buffers (C, 1, 1) and ``_enable_normalize``.

    Raises:
        TypeError: the preprocessor has no ``mean`` / ``std`` (no normalisation
            to attack through).
    """

    def __init__(self, model: nn.Module):
        pre = getattr(model, 'data_preprocessor', None)
        if pre is None or not getattr(pre, '_enable_normalize', False):
            raise TypeError(
                f'{type(model).__name__}: the attacks need a data_preprocessor with mean '
                f'and std (e.g. mmseg.SegDataPreProcessor), got {type(pre).__name__}'
            )
        self.preprocessor = pre
        # mmseg calls it channel_conversion, mmpretrain _channel_conversion; both
        # mean "the loaded BGR images become RGB"
        self.to_rgb = bool(
            getattr(pre, 'channel_conversion', getattr(pre, '_channel_conversion', False))
        )

    def to_pixels(self, data: dict) -> Tuple[Tensor, list]:
        """A dataloader batch as pixels.

        Images of different sizes (e.g. a training loader's crops of small
        images) are first padded at their bottom / right to the largest, with
        0 and their ``gt_sem_seg`` with 255, as a training batch is.

        Args:
            data (dict): ``inputs`` (list of uint8 (3, H, W) images as loaded, BGR)
                and ``data_samples``.

        Returns:
            tuple: pixels (B, 3, H, W) float RGB in [0, 255] on the model's device
            (stacked, and padded with 0 where the preprocessor pads), and the data
            samples as the preprocessor returns them.
        """
        data = pad_to_largest(data)
        pre = self.preprocessor
        pre._enable_normalize = False
        try:
            out = pre(data, False)
        finally:
            pre._enable_normalize = True
        pixels = out['inputs'].float()
        if not self.to_rgb:
            pixels = pixels.flip(1)
        return pixels, out['data_samples']

    def normalize(self, pixels: Tensor) -> Tensor:
        """The model's inputs (B, 3, H, W) from RGB pixels (B, 3, H, W), differentiable."""
        if not self.to_rgb:
            pixels = pixels.flip(1)
        pre = self.preprocessor
        return (pixels - pre.mean) / pre.std


def pad_to_largest(data: dict) -> dict:
    """A dataloader batch whose ``inputs`` (list of (3, H_i, W_i)) differ in size,
    padded at their bottom / right to the largest: images with 0, and every
    label map of a data sample at the image's size (``gt_sem_seg``, a mixed
    sample's ``gt_phantom_seg``, ...) with 255. A batch of one size is
    returned as it is."""
    inputs = data['inputs']
    height = max(x.shape[-2] for x in inputs)
    width = max(x.shape[-1] for x in inputs)
    if all(tuple(x.shape[-2:]) == (height, width) for x in inputs):
        return data
    padded = []
    for x in inputs:
        padded.append(F.pad(x, (0, width - x.shape[-1], 0, height - x.shape[-2])))
    for x, sample in zip(inputs, data.get('data_samples') or []):
        for key in sample.keys():
            value = getattr(sample, key)
            if isinstance(value, PixelData) and value.shape == tuple(x.shape[-2:]):
                pad = (0, width - x.shape[-1], 0, height - x.shape[-2])
                setattr(sample, key, PixelData(data=F.pad(value.data, pad, value=IGNORE_INDEX)))
    return dict(data, inputs=padded)


def clamp_pixels(pixels: Tensor) -> Tensor:
    """``pixels`` clamped to the valid range [0, 255]."""
    return pixels.clamp(PIXEL_MIN, PIXEL_MAX)


def project(adv: Tensor, clean: Tensor, eps: float) -> Tensor:
    """``adv`` moved into the L∞ ball of radius ``eps`` (pixels) around ``clean``
    and into [0, 255]; both (B, 3, H, W)."""
    return clamp_pixels(torch.min(torch.max(adv, clean - eps), clean + eps))
