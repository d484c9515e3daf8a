"""Packs a blended sample (``ClusterMixDataset``): mmseg's ``PackSegInputs`` plus
the phantom label map and the mixing weight."""

import numpy as np
from mmcv.transforms import to_tensor
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from wsss_mm.registry import TRANSFORMS

SEG_MIX_META_KEYS = (
    'img_path',
    'seg_map_path',
    'ori_shape',
    'img_shape',
    'pad_shape',
    'scale_factor',
    'flip',
    'flip_direction',
    'reduce_zero_label',
    'mix_delta',
    'phantom_img_path',
)


@TRANSFORMS.register_module()
class PackSegMixInputs(PackSegInputs):
    """``PackSegInputs`` that also packs ``gt_phantom_seg_map`` as the data
    sample's ``gt_phantom_seg`` (``PixelData`` of (1, H, W) int64) and keeps
    ``mix_delta`` (δ, the weight of the dominant image) and
    ``phantom_img_path`` in the metainfo: the fields SegMix's batch mixing
    (``CoOccurrenceMix``, ``SegMixup``) sets.
    """

    def __init__(self, meta_keys=SEG_MIX_META_KEYS) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if 'gt_phantom_seg_map' in results:
            phantom = to_tensor(results['gt_phantom_seg_map'][None].astype(np.int64))
            packed['data_samples'].gt_phantom_seg = PixelData(data=phantom)
        return packed
