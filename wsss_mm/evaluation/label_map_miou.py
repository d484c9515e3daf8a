"""Label-map quality: mIoU of per-image label maps (seeds + CRF, pseudo masks)
against the ground-truth masks."""

import os.path as osp
from functools import partial
from typing import Callable, List, Optional, Sequence

import numpy as np

from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.datasets.voc_layout import IGNORE_INDEX
from wsss_mm.utils.io import read_mask
from wsss_mm.utils.parallel import parallel_map

from .ground_truth import gt_mask_dirs, has_ground_truth, load_pair
from .iou import confusion_matrix, iou_from_confusion

#: ``img_id -> (H, W)`` uint8 class ids, 255 = ignore
Predictor = Callable[[str], np.ndarray]


class ReadLabelMap:
    """Predictor that reads the label-map file ``<label_dir>/<img_id>.png``
    (written by :func:`wsss_mm.refine.save_label_map`)."""

    def __init__(self, label_dir: str) -> None:
        self.label_dir = label_dir

    def __call__(self, img_id: str) -> np.ndarray:
        return read_mask(osp.join(self.label_dir, img_id + '.png'))


def _image_confusion(
    img_id: str, predict: Predictor, mask_dirs: List[str], num_classes: int
) -> np.ndarray:
    """(K + 1, K + 1) confusion of one image; the last column counts ignored
    (255) predictions."""
    gt, pred = load_pair(img_id, mask_dirs, predict)
    pred = np.where(pred == IGNORE_INDEX, num_classes, pred)
    return confusion_matrix(gt, pred, num_classes + 1)


def evaluate_label_maps(
    predict: Predictor,
    img_ids: Sequence[str],
    data_root: str,
    class_names: Optional[Sequence[str]] = None,
    num_workers: int = 0,
    desc: str = 'eval',
) -> dict:
    """mIoU of per-image label maps against the ground-truth masks.

    Pixels predicted as ignore (255) are left out of the IoU and reported as
    ``ignored`` (the fraction of labelled ground-truth pixels).

    Args:
        predict (Callable): ``img_id -> (H, W)`` uint8 class ids (255 =
            ignore); picklable when ``num_workers > 1``.
        img_ids (Sequence[str]): the images.
        data_root (str): VOC- or COCO-layout root holding the masks.
        class_names (Sequence[str], optional): K names, background first.
            Default: those of the root's layout (:func:`detect_layout`).
        num_workers (int): processes.
        desc (str): progress-bar label.

    Returns:
        dict: ``miou`` and ``class_iou`` (percent), ``ignored`` (fraction),
        ``class_names``, ``num_images``.
    """
    if class_names is None:
        class_names = detect_layout(data_root).classes
    k = len(class_names)
    worker = partial(
        _image_confusion, predict=predict, mask_dirs=gt_mask_dirs(data_root), num_classes=k
    )
    total = np.zeros((k + 1, k + 1), dtype=np.int64)
    for conf in parallel_map(worker, list(img_ids), num_workers, desc):
        total += conf
    ious = iou_from_confusion(total[:k, :k])
    return dict(
        miou=float(np.nanmean(ious) * 100),
        class_iou=(ious * 100).tolist(),
        ignored=float(total[:, k].sum() / max(total.sum(), 1)),
        class_names=list(class_names),
        num_images=len(img_ids),
    )


def eval_label_dir(
    label_dir: str, data_root: str, img_ids: Sequence[str], num_workers: int = 0
) -> Optional[dict]:
    """:func:`evaluate_label_maps` of a folder of label maps; None when some
    image has no ground truth."""
    if not has_ground_truth(data_root, img_ids):
        return None
    return evaluate_label_maps(
        ReadLabelMap(label_dir), img_ids, data_root, num_workers=num_workers, desc='eval label maps'
    )
