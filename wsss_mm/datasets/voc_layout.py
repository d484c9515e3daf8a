"""The PASCAL VOC 2012 (+ SBD) layout: class names, palette, where files live,
and image-level labels derived from masks."""

import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

import numpy as np
from mmseg.datasets import PascalVOCDataset

from wsss_mm.utils.io import read_mask

#: the 21 VOC class names, background first (mmseg's ``PascalVOCDataset.METAINFO``)
VOC_CLASSES = tuple(PascalVOCDataset.METAINFO['classes'])
#: (21, 3) RGB colour of each class id (mmseg's ``PascalVOCDataset.METAINFO``)
VOC_PALETTE = [list(rgb) for rgb in PascalVOCDataset.METAINFO['palette']]

IGNORE_INDEX = 255
IMG_DIR = 'JPEGImages'
MASK_DIRS = ('SegmentationClass', 'SegmentationClassAug')


def find_mask(mask_dirs: Sequence[str], img_id: str, suffix: str = '.png') -> Optional[str]:
    """The first ``<dir>/<img_id><suffix>`` that exists, or None."""
    for folder in mask_dirs:
        path = osp.join(folder, img_id + suffix)
        if osp.isfile(path):
            return path
    return None


def labels_from_mask(mask: np.ndarray, num_classes: int, path: str) -> np.ndarray:
    """Image-level multi-hot labels: the classes present in a mask.

    Args:
        mask (np.ndarray): (H, W) uint8, 0 = background, 255 = ignore.
        num_classes (int): C, the number of foreground classes (ids 1..C).
        path (str): the mask's file, named in errors.

    Returns:
        np.ndarray: (C,) float32 multi-hot, index c-1 for class id c.

    Raises:
        ValueError: the mask holds ids outside 0..C and 255.
    """
    ids = np.unique(mask)
    bad = [int(i) for i in ids if i > num_classes and i != IGNORE_INDEX]
    if bad:
        raise ValueError(
            f'mask {path} holds class ids {bad} outside the label '
            f'space 0..{num_classes} (and {IGNORE_INDEX} = ignore)'
        )
    labels = np.zeros(num_classes, dtype=np.float32)
    fg = ids[(ids > 0) & (ids != IGNORE_INDEX)]
    labels[fg.astype(np.int64) - 1] = 1
    return labels


def labels_from_masks(paths: Sequence[str], num_classes: int, num_threads: int = 8) -> np.ndarray:
    """Image-level labels of many masks, read in a thread pool.

    Returns:
        np.ndarray: (N, C) float32 multi-hot.
    """

    def one(path: str) -> np.ndarray:
        return labels_from_mask(read_mask(path), num_classes, path)

    if not paths:
        return np.zeros((0, num_classes), dtype=np.float32)
    with ThreadPoolExecutor(max_workers=num_threads) as pool:
        return np.stack(list(pool.map(one, paths)))
