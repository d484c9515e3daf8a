"""Mixup for segmentation (Zhang et al., ICLR 2018, as SegMix's Tables 1-2 train
it): each image blended with a random partner of the batch, both label maps kept."""

from typing import List, Tuple

import numpy as np
import torch
from mmengine.structures import PixelData
from mmpretrain.models.utils.batch_augments import Mixup
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS


def stacked_labels(data_samples: List[SegDataSample]) -> torch.Tensor:
    """The batch's ``gt_sem_seg`` maps, stacked.

    Returns:
        Tensor: (B, 1, H, W) int64 class ids (255 = ignore).

    Raises:
        KeyError: a sample has no ``gt_sem_seg`` (its index is named).
    """
    for i, sample in enumerate(data_samples):
        if 'gt_sem_seg' not in sample:
            raise KeyError(
                f'data sample {i} has no gt_sem_seg: mixing needs the label maps '
                '(load them with LoadAnnotations and PackSegInputs)'
            )
    return torch.stack([sample.gt_sem_seg.data for sample in data_samples])


def mix_with_partners(
    inputs: torch.Tensor,
    data_samples: List[SegDataSample],
    partners: torch.Tensor,
    deltas: torch.Tensor,
) -> Tuple[torch.Tensor, List[SegDataSample]]:
    """Eq. 1, ``I_fb = δ·I_a + (1 − δ)·I_b``, for every sample a and its partner b.

    Each sample keeps its own map in ``gt_sem_seg`` (dominant, G_a) and gets
    its partner's map as ``gt_phantom_seg`` (phantom, G_b, a ``PixelData`` of
    (1, H, W) int64) and δ as ``mix_delta`` (float) in its metainfo.

    Args:
        inputs (Tensor): (B, C, H, W) images.
        data_samples (list[SegDataSample]): B samples with ``gt_sem_seg``
            (1, H, W).
        partners (Tensor): (B,) int64, the partner index of each sample.
        deltas (Tensor): (B,) float in [0, 1], the weight of each sample's own image.

    Returns:
        tuple: the mixed (B, C, H, W) images and the same data samples.
    """
    labels = stacked_labels(data_samples)
    partners = partners.to(inputs.device)
    weight = deltas.to(inputs).view(-1, 1, 1, 1)
    mixed = weight * inputs + (1 - weight) * inputs[partners]
    for sample, partner, delta in zip(data_samples, partners.tolist(), deltas.tolist()):
        sample.gt_phantom_seg = PixelData(data=labels[partner].clone())
        sample.set_metainfo(dict(mix_delta=float(delta)))
    return mixed, data_samples


@MODELS.register_module()
class SegMixup(Mixup):
    """Mixup of a segmentation batch: mmpretrain's ``Mixup`` with label maps.

    One δ ~ Beta(α, α) per batch (``np.random``, as mmpretrain's ``Mixup``),
    partners a random permutation of the batch (``torch.randperm``, torch's
    global RNG). Images are blended as Eq. 1; each data sample keeps its own
    map in ``gt_sem_seg`` and gets its partner's in ``gt_phantom_seg``
    (``PixelData`` (1, H, W) int64) and δ in its metainfo as ``mix_delta``,
    so that a loss ``δ·l(G_a) + (1 − δ)·l(G_b)`` (mixup's label mixing, or
    SegMix's binding loss) reads them. Applied by
    ``MixSegDataPreProcessor(batch_augments=[dict(type='SegMixup', alpha=1.0)])``.

    Args:
        alpha (float): the Beta distribution's parameter, > 0.
    """

    def __call__(
        self, inputs: torch.Tensor, data_samples: List[SegDataSample]
    ) -> Tuple[torch.Tensor, List[SegDataSample]]:
        """
        Args:
            inputs (Tensor): (B, C, H, W) normalised, padded images.
            data_samples (list[SegDataSample]): with ``gt_sem_seg`` (1, H, W).

        Returns:
            tuple: (B, C, H, W) mixed images and the data samples.
        """
        delta = float(np.random.beta(self.alpha, self.alpha))
        partners = torch.randperm(inputs.size(0))
        return mix_with_partners(
            inputs, data_samples, partners, torch.full((inputs.size(0),), delta)
        )
