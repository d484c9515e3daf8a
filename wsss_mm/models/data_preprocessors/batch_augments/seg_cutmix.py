"""CutMix for segmentation (Yun et al., ICCV 2019, as SegMix's Tables 1-2 train
it): a box of a random partner pasted into each image, with its labels."""

from typing import List, Tuple

import numpy as np
import torch
from mmpretrain.models.utils.batch_augments import CutMix
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS

from .seg_mixup import stacked_labels


@MODELS.register_module()
class SegCutMix(CutMix):
    """CutMix of a segmentation batch: mmpretrain's ``CutMix`` box, pasted
    into the images and into the label maps.

    One box per batch, drawn as mmpretrain's ``CutMix`` draws it (its area
    from λ ~ Beta(α, α), or uniform within ``cutmix_minmax``; ``np.random``),
    partners a random permutation of the batch (``torch.randperm``). Inside
    the box each image and its ``gt_sem_seg`` take the partner's pixels and
    labels: one label map, no phantom map, no ``mix_delta``. Applied by
    ``MixSegDataPreProcessor(batch_augments=[dict(type='SegCutMix', alpha=1.0)])``.

    Args:
        alpha (float): the Beta distribution's parameter, > 0.
        cutmix_minmax (list[float], optional): min / max side ratio of the
            box; then ``alpha`` is not used.
    """

    def __init__(self, alpha: float, cutmix_minmax=None):
        super().__init__(alpha=alpha, cutmix_minmax=cutmix_minmax)

    def __call__(
        self, inputs: torch.Tensor, data_samples: List[SegDataSample]
    ) -> Tuple[torch.Tensor, List[SegDataSample]]:
        """
        Args:
            inputs (Tensor): (B, C, H, W) normalised, padded images.
            data_samples (list[SegDataSample]): with ``gt_sem_seg`` (1, H, W).

        Returns:
            tuple: (B, C, H, W) mixed images and the data samples, whose
            ``gt_sem_seg`` holds the partner's labels inside the box.
        """
        labels = stacked_labels(data_samples)
        lam = np.random.beta(self.alpha, self.alpha)
        partners = torch.randperm(inputs.size(0)).to(inputs.device)
        (y1, y2, x1, x2), _ = self.cutmix_bbox_and_lam(inputs.shape[-2:], lam)
        mixed = inputs.clone()
        mixed[:, :, y1:y2, x1:x2] = inputs[partners, :, y1:y2, x1:x2]
        mixed_labels = labels.clone()
        mixed_labels[:, :, y1:y2, x1:x2] = labels[partners.to(labels.device), :, y1:y2, x1:x2]
        for sample, label in zip(data_samples, mixed_labels):
            sample.gt_sem_seg.data = label
        return mixed, data_samples
