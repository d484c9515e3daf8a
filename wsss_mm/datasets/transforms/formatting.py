"""Packs what a CAM network needs into ``inputs`` and a ``SegDataSample``."""

import torch
from mmengine.structures import PixelData
from mmseg.datasets.transforms import PackSegInputs

from wsss_mm.registry import TRANSFORMS

CAM_META_KEYS = (
    'img_id',
    'img_path',
    'seg_map_path',
    'ori_shape',
    'img_shape',
    'pad_shape',
    'scale_factor',
    'flip',
    'flip_direction',
    'reduce_zero_label',
)


@TRANSFORMS.register_module()
class PackCAMInputs(PackSegInputs):
    """mmseg's ``PackSegInputs`` plus the image-level labels and the hints.

    The data sample carries ``gt_labels`` ((C,) float32 multi-hot), when a
    mask was loaded ``gt_sem_seg``, and when hints were loaded (C²AM-H's
    ``LoadCAMHint``) ``gt_hint`` (``PixelData`` of (1, H, W) uint8: 1, 0 or
    255; float32 margins with ``LoadCAMHint(sampling='bicubic')``). ``img_id``
    is in its metainfo.
    """

    def __init__(self, meta_keys=CAM_META_KEYS) -> None:
        super().__init__(meta_keys=meta_keys)

    def transform(self, results: dict) -> dict:
        packed = super().transform(results)
        if 'gt_labels' in results:
            packed['data_samples'].gt_labels = torch.as_tensor(results['gt_labels'])
        if 'gt_hint' in results:
            hint = torch.from_numpy(results['gt_hint'].copy())[None]
            packed['data_samples'].gt_hint = PixelData(data=hint)
        return packed
