"""The class co-occurrence matrix of a segmentation dataset (SegMix, Islam et al.,
Eq. 2), its file, and its most frequent class pairs.

**Co-occurrence file**: a ``.npy`` array (``np.save``, no pickle) of shape (K, K),
int64, indexed by the dataset's label ids (row and column 0 = background, K =
number of class ids including background). With ``count='images'`` (the
default) entry (i, j) is the number of images whose mask holds both class i and
class j, and (i, i) the number of images holding class i (symmetric); with
``count='pixels'`` (Eq. 2 as written) entry (i, j) sums, over the images holding
class j, the pixels of class i. Ignore pixels (255) never count. SegMix's
co-occurrence mixing (``wsss_mm.models.data_preprocessors.CoOccurrenceMix``)
reads the file by path; it leaves the background row and column out itself.
"""

import os.path as osp
from typing import Iterable, List, Optional, Sequence, Tuple

import numpy as np

from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.datasets.voc_layout import IGNORE_INDEX, find_mask
from wsss_mm.utils.io import atomic_path, read_mask
from wsss_mm.utils.parallel import parallel_map

COUNTS = ('images', 'pixels')


def class_pixel_counts(mask: np.ndarray, num_classes: int, path: str = 'mask') -> np.ndarray:
    """The pixels of each class id in one mask.

    Args:
        mask (np.ndarray): (H, W) integer class ids, 255 = ignore.
        num_classes (int): K, the number of class ids (background included).
        path (str): the mask's file, named in errors.

    Returns:
        np.ndarray: (K,) int64 pixel counts (ignore pixels left out).

    Raises:
        ValueError: the mask holds an id outside 0..K-1 and 255.
    """
    ids = mask[mask != IGNORE_INDEX].astype(np.int64).ravel()
    if ids.size and (ids.min() < 0 or ids.max() >= num_classes):
        bad = sorted({int(i) for i in np.unique(ids) if not 0 <= i < num_classes})
        raise ValueError(
            f'{path} holds class ids {bad} outside 0..{num_classes - 1} '
            f'(and {IGNORE_INDEX} = ignore)'
        )
    return np.bincount(ids, minlength=num_classes).astype(np.int64)


def cooccurrence_matrix(
    pixel_counts: Iterable[np.ndarray], num_classes: int, count: str = 'images'
) -> np.ndarray:
    """Eq. 2 summed over a dataset.

    Args:
        pixel_counts (Iterable[np.ndarray]): one (K,) array per image, from
            :func:`class_pixel_counts`.
        num_classes (int): K.
        count (str): ``'images'`` (images holding both classes) or
            ``'pixels'`` (pixels of the row class in images holding the
            column class).

    Returns:
        np.ndarray: (K, K) int64 (see the module docstring).

    Raises:
        ValueError: unknown ``count``.
    """
    if count not in COUNTS:
        raise ValueError(f'count must be one of {COUNTS}, got {count!r}')
    matrix = np.zeros((num_classes, num_classes), np.int64)
    for pixels in pixel_counts:
        present = (pixels > 0).astype(np.int64)
        rows = present if count == 'images' else pixels
        matrix += np.outer(rows, present)
    return matrix


class _MaskPixelCounts:
    """``img_id -> (K,)`` pixel counts of its mask (picklable for the pool)."""

    def __init__(self, mask_dirs: Sequence[str], num_classes: int):
        self.mask_dirs = list(mask_dirs)
        self.num_classes = num_classes

    def __call__(self, img_id: str) -> np.ndarray:
        path = find_mask(self.mask_dirs, img_id)
        return class_pixel_counts(read_mask(path), self.num_classes, path)


def dataset_cooccurrence(
    data_root: str, img_ids: Sequence[str], count: str = 'images', num_workers: int = 2
) -> np.ndarray:
    """The co-occurrence matrix of the masks of a VOC- or COCO-layout root.

    Args:
        data_root (str): the root; its layout (:func:`detect_layout`) gives
            the mask folders and K.
        img_ids (Sequence[str]): the images (e.g. a split file's ids).
        count (str): see :func:`cooccurrence_matrix`.
        num_workers (int): processes reading the masks (progress bar on
            stderr).

    Returns:
        np.ndarray: (K, K) int64.

    Raises:
        FileNotFoundError: the root is missing, or images have no mask (the
            first few are named with the folders searched).
        ValueError: a mask holds an id outside the layout's classes.
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found: {data_root}')
    layout = detect_layout(data_root)
    mask_dirs = layout.gt_mask_dirs(data_root)
    missing = [i for i in img_ids if find_mask(mask_dirs, i) is None]
    if missing:
        raise FileNotFoundError(
            f'{len(missing)} of {len(img_ids)} images have no mask <id>.png in '
            f'{mask_dirs}, e.g. {missing[:3]}'
        )
    counts = parallel_map(
        _MaskPixelCounts(mask_dirs, len(layout.classes)), img_ids, num_workers, 'co-occurrence'
    )
    return cooccurrence_matrix(counts, len(layout.classes), count)


def save_cooccurrence(path: str, matrix: np.ndarray) -> None:
    """Writes a co-occurrence file atomically (temp + rename).

    Raises:
        ValueError: ``path`` does not end in ``.npy`` or the matrix is not (K, K).
    """
    if not path.endswith('.npy'):
        raise ValueError(f'a co-occurrence file is a .npy file, got {path}')
    _check_square(np.asarray(matrix), path)
    with atomic_path(path) as tmp:
        np.save(tmp, np.asarray(matrix))


def load_cooccurrence(path: str, num_classes: Optional[int] = None) -> np.ndarray:
    """Reads a co-occurrence file (no pickle: reading it runs no code).

    Args:
        path (str): the ``.npy`` file.
        num_classes (int, optional): the K expected.

    Returns:
        np.ndarray: (K, K) float64, >= 0.

    Raises:
        FileNotFoundError: no such file.
        ValueError: not a (K, K) non-negative numeric array, or K differs.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(
            f'co-occurrence file not found: {path} (make it with '
            'tools/analysis_tools/cooccurrence.py)'
        )
    try:
        matrix = np.load(path, allow_pickle=False)
    except ValueError as e:
        raise ValueError(f'{path} is not a numeric .npy co-occurrence matrix ({e})') from None
    _check_square(matrix, path)
    if num_classes is not None and matrix.shape[0] != num_classes:
        raise ValueError(f'{path} is {matrix.shape[0]}x{matrix.shape[0]}, expected {num_classes}')
    return matrix.astype(np.float64)


def _check_square(matrix: np.ndarray, path: str) -> None:
    if (
        matrix.ndim != 2
        or matrix.shape[0] != matrix.shape[1]
        or not np.issubdtype(matrix.dtype, np.number)
        or (matrix < 0).any()
    ):
        raise ValueError(
            f'{path}: a co-occurrence matrix is a square non-negative numeric array, '
            f'got shape {matrix.shape} dtype {matrix.dtype}'
        )


def top_pairs(
    matrix: np.ndarray, classes: Sequence[str], k: int = 10, background: Optional[int] = 0
) -> List[Tuple[str, str, int]]:
    """The ``k`` most frequent pairs of two different classes.

    Args:
        matrix (np.ndarray): (K, K) co-occurrence matrix.
        classes (Sequence[str]): the K class names.
        k (int): pairs returned.
        background (int, optional): a class id left out (None: none).

    Returns:
        list[tuple[str, str, int]]: ``(class i, class j, count)``, i < j
        (for a ``'pixels'`` matrix the count is ``C[i, j] + C[j, i]``), most
        frequent first, ties by ids; pairs that never co-occur left out.
    """
    sym = matrix + matrix.T if not np.array_equal(matrix, matrix.T) else matrix
    rows, cols = np.triu_indices(len(classes), k=1)
    keep = (rows != background) & (cols != background) & (sym[rows, cols] > 0)
    rows, cols = rows[keep], cols[keep]
    order = np.argsort(-sym[rows, cols], kind='stable')[:k]
    return [(classes[rows[o]], classes[cols[o]], int(sym[rows[o], cols[o]])) for o in order]
