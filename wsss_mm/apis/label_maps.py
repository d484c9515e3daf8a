"""Shared by the refinement stages: which label maps of a split are still to
write, reading an image with its CAM file, and scoring per-image label maps
against the ground-truth masks."""
import os
import os.path as osp
from functools import partial
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.config import Config

from wsss_mm.cams.cam_file import (check_no_legacy_cam_files, find_cam_file, load_cam_file,
                                   missing_cam_files)
from wsss_mm.datasets.voc_layout import IGNORE_INDEX, IMG_DIR, MASK_DIRS, VOC_CLASSES, find_mask
from wsss_mm.evaluation import confusion_matrix, iou_from_confusion
from wsss_mm.refine.pseudo_labels import label_path, missing_label_maps
from wsss_mm.utils.io import read_image, read_mask, read_split

from .config_utils import dataset_cfg, resolve_split
from .parallel import parallel_map

Predictor = Callable[[str], np.ndarray]


def image_path(data_root: str, img_id: str) -> str:
    """``<data_root>/JPEGImages/<img_id>.jpg``."""
    return osp.join(data_root, IMG_DIR, img_id + '.jpg')


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
            f'{cam_dir}, e.g. {missing[:5]}; run tools/infer_cams.py first')


def label_maps_to_write(cfg: Config, cam_dir: str, out_dir: str,
                        data_root: Optional[str] = None,
                        split: Optional[str] = None,
                        allow_pickle: bool = False) -> Tuple[str, List[str], List[str]]:
    """Plans a resumable label-map stage: the split's images (default the
    training split of ``cfg``), checked to all have a CAM file, and those whose
    ``OUT_DIR/<image_id>.png`` is not written yet; creates ``out_dir``.
    ``allow_pickle``: legacy ``.npy`` CAM files count (see :func:`check_cam_dir`).

    Returns:
        tuple: the data root (``data_root`` or ``cfg.data_root``), the split's
        image ids and the ids still to write.

    Raises:
        FileNotFoundError: CAM files are missing (the message names them).
        PickledCAMFileError: legacy ``.npy`` files without ``allow_pickle``.
    """
    data_root = data_root or cfg.data_root
    split = split or dataset_cfg(cfg, 'train_dataloader').ann_file
    ids = read_split(resolve_split(split, data_root))
    check_cam_dir(cam_dir, ids, allow_pickle)
    os.makedirs(out_dir, exist_ok=True)
    return data_root, ids, missing_label_maps(out_dir, ids)


def load_image_and_cams(data_root: str, cam_dir: str, img_id: str,
                        allow_pickle: bool = False) -> Tuple[np.ndarray, Dict[str, np.ndarray]]:
    """One image and its CAM file, checked to have the same size.

    Args:
        data_root (str): VOC-layout root of the images.
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
        raise ValueError(f'{path}: CAM size {cam["cam"].shape[1:]} '
                         f'differs from image {img_file} size {image.shape[:2]}')
    return image, cam


class ReadLabelMap:
    """Predictor that reads ``<label_dir>/<img_id>.png``."""

    def __init__(self, label_dir: str) -> None:
        self.label_dir = label_dir

    def __call__(self, img_id: str) -> np.ndarray:
        return read_mask(label_path(self.label_dir, img_id))


def has_ground_truth(data_root: str, img_ids: Sequence[str]) -> bool:
    """Whether every image has a ground-truth mask (``MASK_DIRS``)."""
    mask_dirs = [osp.join(data_root, d) for d in MASK_DIRS]
    return all(find_mask(mask_dirs, i) is not None for i in img_ids)


def _image_confusion(img_id: str, predict: Predictor, mask_dirs: List[str],
                     num_classes: int) -> np.ndarray:
    """(K + 1, K + 1) confusion of one image; the last column counts ignored
    (255) predictions."""
    mask_path = find_mask(mask_dirs, img_id)
    if mask_path is None:
        raise FileNotFoundError(f'no ground-truth mask for {img_id} in {mask_dirs}')
    gt = read_mask(mask_path)
    pred = predict(img_id)
    if pred.shape != gt.shape:
        raise ValueError(f'the label map of {img_id} is {pred.shape[0]}x{pred.shape[1]} but '
                         f'its mask {mask_path} is {gt.shape[0]}x{gt.shape[1]}')
    pred = np.where(pred == IGNORE_INDEX, num_classes, pred)
    return confusion_matrix(gt, pred, num_classes + 1)


def evaluate_label_maps(predict: Predictor,
                        img_ids: Sequence[str],
                        data_root: str,
                        class_names: Sequence[str] = VOC_CLASSES,
                        num_workers: int = 0,
                        desc: str = 'eval') -> dict:
    """mIoU of per-image label maps against the ground-truth masks.

    Pixels predicted as ignore (255) are left out of the IoU and reported as
    ``ignored`` (the fraction of labelled ground-truth pixels).

    Args:
        predict (Callable): ``img_id -> (H, W)`` uint8 class ids (255 =
            ignore); picklable when ``num_workers > 1``.
        img_ids (Sequence[str]): the images.
        data_root (str): VOC-layout root holding the masks.
        class_names (Sequence[str]): K names, background first.
        num_workers (int): processes.

    Returns:
        dict: ``miou`` and ``class_iou`` (percent), ``ignored`` (fraction),
        ``class_names``, ``num_images``.
    """
    k = len(class_names)
    mask_dirs = [osp.join(data_root, d) for d in MASK_DIRS]
    worker = partial(_image_confusion, predict=predict, mask_dirs=mask_dirs, num_classes=k)
    total = np.zeros((k + 1, k + 1), dtype=np.int64)
    for conf in parallel_map(worker, list(img_ids), num_workers, desc):
        total += conf
    ious = iou_from_confusion(total[:k, :k])
    return dict(miou=float(np.nanmean(ious) * 100), class_iou=(ious * 100).tolist(),
                ignored=float(total[:, k].sum() / max(total.sum(), 1)),
                class_names=list(class_names), num_images=len(img_ids))


def eval_label_dir(label_dir: str, data_root: str, img_ids: Sequence[str],
                   num_workers: int = 0) -> Optional[dict]:
    """:func:`evaluate_label_maps` of a folder of label maps; None when some
    image has no ground truth."""
    if not has_ground_truth(data_root, img_ids):
        return None
    return evaluate_label_maps(ReadLabelMap(label_dir), img_ids, data_root,
                               num_workers=num_workers, desc='eval label maps')
