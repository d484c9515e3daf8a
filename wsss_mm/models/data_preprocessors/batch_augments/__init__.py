"""Batch augmentations of segmentation batches (SegMix's mixing and its
baselines), applied by ``MixSegDataPreProcessor`` as mmpretrain's batch
augments are by its data preprocessor."""

from .co_occurrence_mix import CoOccurrenceMix
from .seg_cutmix import SegCutMix
from .seg_mixup import SegMixup

__all__ = ['CoOccurrenceMix', 'SegCutMix', 'SegMixup']
