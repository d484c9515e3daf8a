"""Ground-truth masks of a data root (VOC or COCO layout), paired with a prediction of
the same size."""

from typing import Callable, List, Sequence, Tuple, TypeVar

import numpy as np

from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.datasets.voc_layout import find_mask
from wsss_mm.utils.io import read_mask

P = TypeVar('P')


def gt_mask_dirs(data_root: str) -> List[str]:
    """The folders searched for ``<img_id>.png`` ground-truth masks, in order
    (VOC: ``SegmentationClass``, then ``SegmentationClassAug``; COCO:
    ``SegmentationClass/train2014``, then ``SegmentationClass/val2014``)."""
    return detect_layout(data_root).gt_mask_dirs(data_root)


def has_ground_truth(data_root: str, img_ids: Sequence[str]) -> bool:
    """Whether every image has a ground-truth mask in :func:`gt_mask_dirs`."""
    mask_dirs = gt_mask_dirs(data_root)
    return all(find_mask(mask_dirs, i) is not None for i in img_ids)


def map_size(pred: np.ndarray) -> Tuple[int, ...]:
    """(H, W): the last two dimensions of a (..., H, W) map."""
    return tuple(pred.shape[-2:])


def load_pair(
    img_id: str,
    mask_dirs: Sequence[str],
    predict: Callable[[str], P],
    size: Callable[[P], Tuple[int, ...]] = map_size,
    what: str = 'label map',
) -> Tuple[np.ndarray, P]:
    """Reads one image's ground-truth mask and its prediction, and checks that
    their sizes agree (the one pairing of every evaluation here).

    Args:
        img_id (str): the image.
        mask_dirs (Sequence[str]): folders searched for ``<img_id>.png``
            (e.g. :func:`gt_mask_dirs`).
        predict (Callable): ``img_id -> prediction``, e.g. an (H, W) label map
            or a CAM file (``keys`` (n,), ``cam`` (n, H, W)).
        size (Callable): the (H, W) of a prediction. Default: its last two
            dimensions.
        what (str): the prediction as errors name it, e.g. ``'CAM file in
            DIR'``.

    Returns:
        tuple: the mask ((H, W) uint8 class ids, 255 = ignore) and the
        prediction.

    Raises:
        FileNotFoundError: the image has no mask (the folders are named).
        ValueError: the sizes differ (the image and the mask file are named).
    """
    mask_path = find_mask(mask_dirs, img_id)
    if mask_path is None:
        raise FileNotFoundError(f'no ground-truth mask for {img_id} in {list(mask_dirs)}')
    gt = read_mask(mask_path)
    pred = predict(img_id)
    pred_size = tuple(size(pred))
    if pred_size != gt.shape:
        raise ValueError(
            f'{img_id}: the {what} is {pred_size[0]}x{pred_size[1]} but its '
            f'mask {mask_path} is {gt.shape[0]}x{gt.shape[1]}'
        )
    return gt, pred
