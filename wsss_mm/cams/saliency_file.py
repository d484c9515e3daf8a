"""The saliency file: one class-agnostic foreground map per image.

``tools/infer_saliency.py`` writes ``<image_id>.npz``, a CAM file
(:mod:`wsss_mm.cams.cam_file`) of one map whose key is ``SALIENCY_KEY``::

    keys  int64 (1,)          [1]: the foreground of a background / foreground split
    cam   float32 (1, H, W)   at the image's original size, in [0, 1]

so every CAM-file tool reads it. Saliency maps from other sources (e.g.
PoolNet's, which P-NOC's ``scripts/rw/make_affinity_labels.py`` reads) are
grey ``<image_id>.png`` images, 0-255 read as [0, 1]; :func:`find_saliency_file`
prefers the ``.npz``.
"""

import os.path as osp
from typing import Iterable, List

import numpy as np

from wsss_mm.utils.io import read_mask

from .cam_file import cam_path, load_cam_file, save_cam_file

#: the key of the map in a saliency file
SALIENCY_KEY = 1
#: the suffix of a grey saliency image
PNG_SUFFIX = '.png'


def saliency_png_path(sal_dir: str, img_id: str) -> str:
    """``<sal_dir>/<img_id>.png``: a grey saliency image."""
    return osp.join(sal_dir, img_id + PNG_SUFFIX)


def save_saliency_file(path: str, saliency: np.ndarray) -> None:
    """Writes a saliency file atomically.

    Args:
        path (str): target ``.npz`` path (normally :func:`cam_path`).
        saliency (np.ndarray): (H, W) or (1, H, W) in [0, 1].

    Raises:
        ValueError: not one map, or values outside [0, 1].
    """
    saliency = np.asarray(saliency, dtype=np.float32)
    if saliency.ndim == 2:
        saliency = saliency[None]
    if saliency.ndim != 3 or saliency.shape[0] != 1:
        raise ValueError(f'{path}: a saliency map is (H, W) or (1, H, W), got {saliency.shape}')
    if saliency.size and (saliency.min() < 0 or saliency.max() > 1):
        raise ValueError(
            f'{path}: saliency must be in [0, 1], got [{saliency.min()}, {saliency.max()}]'
        )
    save_cam_file(path, np.array([SALIENCY_KEY]), saliency)


def find_saliency_file(sal_dir: str, img_id: str) -> str:
    """The saliency file of one image: ``<img_id>.npz``, else ``<img_id>.png``.

    Raises:
        FileNotFoundError: neither is there (both are named).
    """
    for path in (cam_path(sal_dir, img_id), saliency_png_path(sal_dir, img_id)):
        if osp.isfile(path):
            return path
    raise FileNotFoundError(
        f'saliency file not found: {cam_path(sal_dir, img_id)} (nor {PNG_SUFFIX})'
    )


def load_saliency_file(path: str) -> np.ndarray:
    """Reads a saliency file (``.npz``) or a grey saliency image (``.png``).

    Returns:
        np.ndarray: (H, W) float32 in [0, 1].

    Raises:
        FileNotFoundError: naming the file.
        ValueError: a ``.npz`` that is not a one-map saliency file (named).
        ImageReadError: a ``.png`` that is not a grey image (named).
    """
    if path.endswith(PNG_SUFFIX):
        return read_mask(path).astype(np.float32) / np.float32(255)
    data = load_cam_file(path)
    if data['keys'].tolist() != [SALIENCY_KEY]:
        raise ValueError(
            f'{path} is not a saliency file: its keys are {data["keys"].tolist()}, '
            f'expected [{SALIENCY_KEY}] (one foreground map; tools/infer_saliency.py)'
        )
    return data['cam'][0]


def missing_saliency_files(sal_dir: str, img_ids: Iterable[str]) -> List[str]:
    """The image ids that have neither ``<id>.npz`` nor ``<id>.png`` in ``sal_dir``."""
    return [
        i
        for i in img_ids
        if not osp.isfile(cam_path(sal_dir, i)) and not osp.isfile(saliency_png_path(sal_dir, i))
    ]


def check_saliency_dir(sal_dir: str, img_ids: Iterable[str]) -> None:
    """Checks that every image has a saliency file in ``sal_dir``.

    Raises:
        FileNotFoundError: the folder is missing, or naming the images that
            have no saliency file.
    """
    if not osp.isdir(sal_dir):
        raise FileNotFoundError(f'saliency folder not found: {sal_dir}')
    img_ids = list(img_ids)
    missing = missing_saliency_files(sal_dir, img_ids)
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(img_ids)} images have no saliency file in {sal_dir}, '
            f'e.g. {missing[:5]}; run tools/infer_saliency.py first'
        )
