"""Loading transforms that name the file when it cannot be read."""

import numpy as np
from mmcv.transforms import BaseTransform

from wsss_mm.registry import TRANSFORMS
from wsss_mm.utils.io import read_image, read_mask


@TRANSFORMS.register_module()
class LoadImage(BaseTransform):
    """Loads ``results['img_path']`` as a BGR uint8 image.

    Adds ``img`` ((H, W, 3) uint8), ``img_shape`` and ``ori_shape``. A missing
    or corrupt file raises :class:`wsss_mm.utils.io.ImageReadError` naming it.
    """

    def transform(self, results: dict) -> dict:
        img = read_image(results['img_path'])
        results['img'] = img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadMask(BaseTransform):
    """Loads ``results['seg_map_path']`` as ``gt_seg_map`` ((H, W) uint8 ids).

    A mask whose size differs from the image's raises ``ValueError`` naming both.
    """

    def transform(self, results: dict) -> dict:
        mask = read_mask(results['seg_map_path'])
        img_shape = results.get('ori_shape')
        if img_shape is not None and tuple(mask.shape) != tuple(img_shape[:2]):
            raise ValueError(
                f'mask {results["seg_map_path"]} is {mask.shape[0]}x{mask.shape[1]}'
                f' but image {results.get("img_path")} is '
                f'{img_shape[0]}x{img_shape[1]}'
            )
        results['gt_seg_map'] = np.ascontiguousarray(mask)
        results.setdefault('seg_fields', []).append('gt_seg_map')
        return results
