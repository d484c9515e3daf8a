"""C²AM-H's saliency hints: the confident regions of an image's CAMs.

Reads the CAM file of :mod:`wsss_mm.cams.cam_file` (the one format every
stage shares; a leaf module of numpy and file I/O, imported here although
``cams`` comes after ``datasets`` in the data flow).
"""

import os.path as osp
from typing import Optional

import numpy as np
from mmcv.transforms import BaseTransform

from wsss_mm.cams.cam_file import find_cam_file, load_cam_file
from wsss_mm.registry import TRANSFORMS

#: the value of a pixel without a hint
NO_HINT = 255
#: how the model samples the hints at its map's cells
HINT_SAMPLINGS = ('nearest', 'bicubic')


@TRANSFORMS.register_module()
class LoadCAMHint(BaseTransform):
    """Loads ``<cam_dir>/<img_id>.npz`` and makes the hint map ``gt_hint``.

    The maps of the image's classes are reduced by the maximum over classes (0
    where the image has no class); a pixel is a foreground hint (1) where that
    maximum is at least ``fg_threshold`` (delta_fg), a background hint (0)
    where it is below ``bg_threshold`` (when given), and has no hint (255)
    elsewhere (thesis, Eq. 29; ``lucasdavid/PNOC`` ``datasets/base.py``,
    ``CAMsDataset``, and ``scripts/ccam/train_hints.py``: ``>= fg_threshold``,
    no background hints). ``gt_hint`` is added to ``seg_fields``, so mmseg's
    resize, crop and flip transforms move it with the image (nearest
    interpolation), and ``PackCAMInputs`` packs it.

    Place it after ``LoadImage`` (the CAM must have the image's original size)
    and before the geometric transforms.

    Where the hints are thresholded (``sampling``): the model samples them at
    its map's cells (``C2AM.stack_hints``).

    - ``'nearest'``: thresholded here, at the image's size; the model takes
      the pixel at the top left of each cell (``16 i`` at stride 16).
    - ``'bicubic'`` (the authors' ``scripts/ccam/train_hints.py``): ``gt_hint``
      holds the float32 margin ``max_k CAM_k - fg_threshold``; the model
      resamples it bicubically to its map's size (around the cell's centre,
      ``16 i + 7.5``) and hints where it is >= 0. The authors' loader resizes
      the continuous map with the image bilinearly; mmseg's transforms resize
      every ``seg_fields`` map by the nearest pixel.

    Args:
        cam_dir (str): folder of CAM files (``tools/infer_cams.py``).
        fg_threshold (float): delta_fg in (0, 1]. Default: 0.4 (thesis).
        bg_threshold (float, optional): background hints below it, in
            [0, fg_threshold); None: none (C²AM-H). Only with ``'nearest'``.
            Default: None.
        sampling (str): ``'nearest'`` or ``'bicubic'``. Default: 'nearest'.
        allow_pickle (bool): read legacy pickled ``.npy`` CAM files (only
            files you made). Default: False.
    """

    def __init__(
        self,
        cam_dir: str,
        fg_threshold: float = 0.4,
        bg_threshold: Optional[float] = None,
        sampling: str = 'nearest',
        allow_pickle: bool = False,
    ) -> None:
        if not 0 < fg_threshold <= 1:
            raise ValueError(f'LoadCAMHint: fg_threshold must be in (0, 1], got {fg_threshold}')
        if bg_threshold is not None and not 0 <= bg_threshold < fg_threshold:
            raise ValueError(
                f'LoadCAMHint: bg_threshold must be in [0, fg_threshold={fg_threshold}), '
                f'got {bg_threshold}'
            )
        if sampling not in HINT_SAMPLINGS:
            raise ValueError(
                f'LoadCAMHint: sampling must be one of {HINT_SAMPLINGS}, got "{sampling}"'
            )
        if sampling == 'bicubic' and bg_threshold is not None:
            raise ValueError(
                "LoadCAMHint: sampling='bicubic' makes foreground hints only (the authors'); "
                "background hints need sampling='nearest'"
            )
        self.cam_dir = cam_dir
        self.fg_threshold = fg_threshold
        self.bg_threshold = bg_threshold
        self.sampling = sampling
        self.allow_pickle = allow_pickle

    def transform(self, results: dict) -> dict:
        """Adds ``gt_hint`` ((H, W) uint8: 1, 0 or 255; with ``'bicubic'``
        float32 margins) and lists it in ``seg_fields``.

        Raises:
            FileNotFoundError: ``cam_dir`` or the image's CAM file is missing
                (named).
            ValueError: the CAM's size differs from the image's (both named).
        """
        if not osp.isdir(self.cam_dir):
            raise FileNotFoundError(f'LoadCAMHint: CAM folder not found: {self.cam_dir}')
        img_id = results.get('img_id') or osp.splitext(osp.basename(results['img_path']))[0]
        path = find_cam_file(self.cam_dir, img_id, self.allow_pickle)
        cam = load_cam_file(path, self.allow_pickle)['cam']
        height, width = results['img'].shape[:2]
        if cam.shape[1:] != (height, width):
            raise ValueError(
                f'LoadCAMHint: {path} is {cam.shape[1]}x{cam.shape[2]} but image '
                f'{results.get("img_path")} is {height}x{width}: CAM files are at the '
                'original size, put LoadCAMHint right after LoadImage'
            )
        peak = cam.max(axis=0) if len(cam) else np.zeros((height, width), np.float32)
        if self.sampling == 'bicubic':
            results['gt_hint'] = (peak - self.fg_threshold).astype(np.float32)
            results.setdefault('seg_fields', []).append('gt_hint')
            return results
        hint = np.full((height, width), NO_HINT, np.uint8)
        hint[peak >= self.fg_threshold] = 1
        if self.bg_threshold is not None:
            hint[peak < self.bg_threshold] = 0
        results['gt_hint'] = hint
        results.setdefault('seg_fields', []).append('gt_hint')
        return results

    def __repr__(self) -> str:
        return (
            f'{type(self).__name__}(cam_dir={self.cam_dir!r}, fg_threshold={self.fg_threshold}, '
            f'bg_threshold={self.bg_threshold}, sampling={self.sampling!r})'
        )
