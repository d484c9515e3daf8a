"""Loading transforms that name the file when it cannot be read.

They are mmcv's ``LoadImageFromFile`` and mmseg's ``LoadAnnotations`` (files
read through ``mmengine.fileio`` with ``backend_args``), with errors that name
the file and what is wrong with it.
"""

from typing import Optional

import numpy as np
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations

from wsss_mm.registry import TRANSFORMS
from wsss_mm.utils.io import read_image, read_mask


@TRANSFORMS.register_module()
class LoadImage(LoadImageFromFile):
    """Loads ``results['img_path']`` as a BGR uint8 image.

    Adds ``img`` ((H, W, 3) uint8, float32 with ``to_float32``), ``img_shape``
    and ``ori_shape``. A missing or corrupt file raises
    :class:`wsss_mm.utils.io.ImageReadError` naming it.

    Args:
        to_float32 (bool): return a float32 image. Default: False.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.
    """

    def __init__(self, to_float32: bool = False, *, backend_args: Optional[dict] = None) -> None:
        super().__init__(to_float32=to_float32, backend_args=backend_args)

    def transform(self, results: dict) -> dict:
        img = read_image(results['img_path'], self.backend_args)
        results['img'] = img.astype(np.float32) if self.to_float32 else img
        results['img_shape'] = img.shape[:2]
        results['ori_shape'] = img.shape[:2]
        return results


@TRANSFORMS.register_module()
class LoadMask(LoadAnnotations):
    """Loads ``results['seg_map_path']`` as ``gt_seg_map`` ((H, W) uint8 ids).

    A missing or corrupt mask raises :class:`wsss_mm.utils.io.ImageReadError`
    naming it; a mask whose size differs from the image's raises
    ``ValueError`` naming both.

    Args:
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.
    """

    def __init__(self, backend_args: Optional[dict] = None) -> None:
        super().__init__(backend_args=backend_args)

    def _load_seg_map(self, results: dict) -> None:
        mask = read_mask(results['seg_map_path'], self.backend_args)
        img_shape = results.get('ori_shape')
        if img_shape is not None and tuple(mask.shape) != tuple(img_shape[:2]):
            raise ValueError(
                f'mask {results["seg_map_path"]} is {mask.shape[0]}x{mask.shape[1]}'
                f' but image {results.get("img_path")} is '
                f'{img_shape[0]}x{img_shape[1]}'
            )
        results['gt_seg_map'] = np.ascontiguousarray(mask)
        results.setdefault('seg_fields', []).append('gt_seg_map')
