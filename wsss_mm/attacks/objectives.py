"""The losses the attacks ascend: a segmentor's cross-entropy against the
ground truth, and a classifier's own training loss."""

from typing import Sequence

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

#: label of the pixels the segmentation loss ignores
IGNORE_INDEX = 255


def segmentation_loss(model: nn.Module, inputs: Tensor, data_samples: Sequence) -> Tensor:
    """Cross-entropy of a segmentor's logits against ``gt_sem_seg``, mean over the
    pixels not labelled 255.

    The logits come from ``model.inference`` (mmseg's ``EncoderDecoder``: whole or
    sliding window, as ``model.test_cfg`` says) and are resized bilinearly to the
    ground truth's size when they differ.

    Args:
        model (nn.Module): an mmseg segmentor with ``inference(inputs, metas)``.
        inputs (Tensor): (B, 3, H, W) normalised inputs.
        data_samples (list[SegDataSample]): with ``gt_sem_seg`` (1, H', W').

    Returns:
        Tensor: scalar loss; 0 when every pixel is ignored.

    Raises:
        TypeError: the model has no ``inference`` method.
    """
    if not hasattr(model, 'inference'):
        raise TypeError(
            f'{type(model).__name__} has no inference(inputs, batch_img_metas): the '
            'white-box attacks need an mmseg EncoderDecoder-style segmentor'
        )
    logits = model.inference(inputs, [s.metainfo for s in data_samples])
    gt = torch.stack([s.gt_sem_seg.data[0] for s in data_samples]).long().to(logits.device)
    if logits.shape[-2:] != gt.shape[-2:]:
        logits = F.interpolate(logits, size=gt.shape[-2:], mode='bilinear', align_corners=False)
    total = F.cross_entropy(logits, gt, ignore_index=IGNORE_INDEX, reduction='sum')
    return total / (gt != IGNORE_INDEX).sum().clamp(min=1)


def classifier_loss(model: nn.Module, inputs: Tensor, data_samples: Sequence) -> Tensor:
    """A classifier's own training loss on ``inputs`` (B, 3, H, W): the sum of the
    losses of ``model(inputs, data_samples, mode='loss')`` (a wsss_mm CAM network's
    multi-label loss, an mmpretrain classifier's cross-entropy)."""
    loss, _ = model.parse_losses(model(inputs, list(data_samples), mode='loss'))
    return loss
