"""Shared by the refinement stages: the split's images (checked to have CAM
files), which outputs are still to write (in a folder that records its recipe:
:mod:`wsss_mm.utils.manifest`), and reading CAM files (with their image) by
image id. Scoring label maps
is :mod:`wsss_mm.evaluation.label_map_miou`."""

import os.path as osp
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from wsss_mm.cams.cam_file import (
    check_no_legacy_cam_files,
    find_cam_file,
    load_cam_file,
    missing_cam_files,
)
from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.refine.pseudo_labels import label_path
from wsss_mm.utils.io import read_image, read_split
from wsss_mm.utils.manifest import (
    Overwrite,
    ResumePlan,
    folder_identity,
    plan_resume,
    split_identity,
)

from .config_utils import dataset_cfg, resolve_split


def image_path(data_root: str, img_id: str) -> str:
    """The image file of ``img_id`` in the root's layout: VOC's
    ``<data_root>/JPEGImages/<img_id>.jpg``, COCO's
    ``<data_root>/{train2014,val2014}/<img_id>.jpg``."""
    return detect_layout(data_root).image_path(data_root, img_id)


def check_cam_dir(cam_dir: str, img_ids: Sequence[str], allow_pickle: bool = False) -> None:
    """Checks that every image has a CAM file in ``cam_dir``.

    Args:
        cam_dir (str): folder of ``<image_id>.npz`` CAM files.
        img_ids (Sequence[str]): the images.
        allow_pickle (bool): legacy pickled ``<image_id>.npy`` files count too.

    Raises:
        FileNotFoundError: naming the images that have no CAM file.
        PickledCAMFileError: some image has only a legacy ``.npy`` file and
            ``allow_pickle`` is false (the message names it and
            ``--allow-pickle``).
    """
    if not osp.isdir(cam_dir):
        raise FileNotFoundError(f'CAM folder not found: {cam_dir}')
    missing = missing_cam_files(cam_dir, img_ids, allow_pickle)
    if missing and not allow_pickle:
        check_no_legacy_cam_files(cam_dir, missing)
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(img_ids)} images of the split have no CAM file in '
            f'{cam_dir}, e.g. {missing[:5]}; run tools/infer_cams.py first'
        )


def split_with_cams(
    cfg: Config,
    cam_dir: str,
    data_root: Optional[str] = None,
    split: Optional[str] = None,
    allow_pickle: bool = False,
) -> Tuple[str, str, List[str]]:
    """The images of a per-image refinement stage (default the training split
    of ``cfg``), checked to all have a CAM file (see :func:`check_cam_dir`).

    Returns:
        tuple: the data root (``data_root`` or ``cfg.data_root``), the split
        file and the split's image ids.

    Raises:
        FileNotFoundError: CAM files are missing (the message names them).
        PickledCAMFileError: legacy ``.npy`` files without ``allow_pickle``.
    """
    data_root = data_root or cfg.data_root
    split_file = resolve_split(split or dataset_cfg(cfg, 'train_dataloader').ann_file, data_root)
    ids = read_split(split_file)
    check_cam_dir(cam_dir, ids, allow_pickle)
    return data_root, split_file, ids


def label_maps_to_write(
    cfg: Config,
    cam_dir: str,
    out_dir: str,
    recipe: dict,
    data_root: Optional[str] = None,
    split: Optional[str] = None,
    allow_pickle: bool = False,
    overwrite: Overwrite = False,
    path_of: Optional[Callable[[str], str]] = None,
) -> Tuple[str, List[str], ResumePlan]:
    """Plans a resumable per-image stage that reads the CAM files of
    ``cam_dir``: the images of :func:`split_with_cams`, and those whose output
    ``path_of(id)`` (default ``OUT_DIR/<image_id>.png``) is still to write.
    ``out_dir`` is claimed for ``recipe`` plus the data root, the split and the
    CAM folder's identity (:func:`~wsss_mm.utils.manifest.plan_resume`).

    Returns:
        tuple: the data root, the split's image ids and the
        :class:`~wsss_mm.utils.manifest.ResumePlan`.

    Raises:
        FileNotFoundError: CAM files are missing (the message names them).
        PickledCAMFileError: legacy ``.npy`` files without ``allow_pickle``.
        RecipeMismatchError: ``out_dir`` was made by another recipe and
            ``overwrite`` is False.
    """
    data_root, split_file, ids = split_with_cams(cfg, cam_dir, data_root, split, allow_pickle)
    recipe = dict(
        recipe,
        data_root=osp.abspath(data_root),
        split=split_identity(ids, split_file),
        cams=folder_identity(cam_dir),
    )
    path_of = path_of or partial(label_path, out_dir)
    return data_root, ids, plan_resume(out_dir, recipe, ids, path_of, overwrite)


def load_image_and_cams(
    data_root: str, cam_dir: str, img_id: str, allow_pickle: bool = False
) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """One image and its CAM file, checked to have the same size.

    Args:
        data_root (str): VOC- or COCO-layout root of the images.
        cam_dir (str): folder of CAM files.
        img_id (str): the image.
        allow_pickle (bool): read a legacy pickled ``.npy`` CAM file when the
            image has no ``.npz`` (unpickling can run code from the file).

    Returns:
        tuple: the image ((H, W, 3) uint8 BGR) and the CAM file (``keys``
        int64 (n,), ``cam`` float32 (n, H, W)).

    Raises:
        ValueError: the CAMs' size differs from the image's (both files
            named), or the CAM file is not valid (see :func:`load_cam_file`).
    """
    img_file = image_path(data_root, img_id)
    image = read_image(img_file)
    path = find_cam_file(cam_dir, img_id, allow_pickle)
    cam = load_cam_file(path, allow_pickle)
    if cam['cam'].shape[1:] != image.shape[:2]:
        raise ValueError(
            f'{path}: CAM size {cam["cam"].shape[1:]} '
            f'differs from image {img_file} size {image.shape[:2]}'
        )
    return image, cam


class ReadCAMFile:
    """Predictor that reads the CAM file of an image (picklable, for worker
    processes); :func:`wsss_mm.evaluation.load_pair` pairs it with the mask.

    Args:
        cam_dir (str): folder of CAM files.
        allow_pickle (bool): read a legacy pickled ``.npy`` CAM file when the
            image has no ``.npz`` (unpickling can run code from the file).
    """

    def __init__(self, cam_dir: str, allow_pickle: bool = False) -> None:
        self.cam_dir = cam_dir
        self.allow_pickle = allow_pickle

    @property
    def what(self) -> str:
        """How errors name the prediction."""
        return f'CAM file in {self.cam_dir}'

    def __call__(self, img_id: str) -> Dict[str, np.ndarray]:
        """
        Returns:
            dict: ``keys`` int64 (n,), ``cam`` float32 (n, H, W).
        """
        path = find_cam_file(self.cam_dir, img_id, self.allow_pickle)
        return load_cam_file(path, self.allow_pickle)

    @staticmethod
    def size(cam: Dict[str, np.ndarray]) -> Tuple[int, ...]:
        """(H, W) of a CAM file."""
        return tuple(cam['cam'].shape[1:])
