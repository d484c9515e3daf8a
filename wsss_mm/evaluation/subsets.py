"""Subsets of a validation set by scene complexity (SegMix, Islam et al., Sec. 4.3:
Tables 3 and 4, Fig. 5): which subsets one image belongs to, from its masks.

Pure numpy / OpenCV functions on one image's masks; the metric that sums
intersect / union areas per subset is
:class:`wsss_mm.evaluation.metrics.SubsetIoUMetric`.

**Objects** (:func:`object_instances`). With an instance mask (VOC's
``SegmentationObject/<id>.png``: 0 = background, 1..N = instance ids, 255 =
boundary / ignore) each instance id is one object, of the foreground class most
of its pixels have in the semantic mask. Without one, each 8-connected component
of each foreground class of the semantic mask is one object: touching objects of
the *same* class merge into one component there (two people side by side are one
object), so this fallback undercounts objects and same-class occlusion. Objects
under ``min_object_pixels`` pixels (default 10) are left out everywhere (they are
annotation specks, not objects).

**Touching** (:func:`touching_pairs`). VOC draws a void (255) band about 5 px
wide along object outlines, so two objects that touch in the image are
separated by ignore pixels in the masks. Two objects touch when they are
8-adjacent, or when one, grown through ignore pixels only (8-connected steps, at
most ``touch_distance`` steps, default 5), becomes 8-adjacent to the other.
Objects separated by background or by another object's pixels do not touch,
however close.

**Subset names** (:func:`image_subsets`):

- ``1-Occ``: at least one object touches another; ``All-Occ``: at least two
  objects and every object touches another.
- ``k-Obj`` (k = 1..4) and ``5+-Obj``: the number of objects (images without an
  object are in none).
- ``k-Cls`` (k = 1..4) and ``5+-Cls``: the number of foreground classes with at
  least ``min_object_pixels`` pixels (Table 3's "Number of Unique Objects").
- ``cooc<T>`` (Fig. 5): every pair of distinct foreground classes of the image
  co-occurs fewer than T times in the (training set's) co-occurrence matrix.
  The paper "only keep[s] images which have objects that occur less than the
  chosen threshold", and its example is a pair (cat and bottle, 18 times: in
  every subset but T = 10), so the rule is on pairs: an image with a single
  foreground class has no pair and is kept in every ``cooc<T>`` subset
  (``keep_single_class=False`` leaves it out of all), an image without a
  foreground class is in none.
- ``<anchor>+<cls>`` and ``only-<cls>`` (Table 4), for each partner class:
  the image holds both the anchor (e.g. person) and the class, or the class is
  its only foreground class.
"""

from typing import Dict, List, Optional, Sequence, Tuple

import cv2
import numpy as np

#: Fig. 5's co-occurrence thresholds
DEFAULT_COOC_THRESHOLDS = (50, 40, 30, 20, 10)
#: counts from this one up share a ``<k>+`` bucket (Table 3 stops at 4)
MAX_COUNT = 5

_EIGHT = np.ones((3, 3), np.uint8)


def object_instances(
    semantic: np.ndarray,
    instance: Optional[np.ndarray] = None,
    background_index: int = 0,
    ignore_index: int = 255,
    min_object_pixels: int = 10,
) -> Tuple[np.ndarray, np.ndarray]:
    """The objects of one image, from its instance mask or its semantic mask.

    Args:
        semantic (np.ndarray): (H, W) integer class ids, ``ignore_index`` ignored.
        instance (np.ndarray, optional): (H, W) instance ids, 0 = background,
            ``ignore_index`` ignored. None: 8-connected components of each
            foreground class of ``semantic`` (see the module docstring).
        background_index (int): the background class id.
        ignore_index (int): the ignore value of both masks.
        min_object_pixels (int): objects with fewer pixels are left out.

    Returns:
        tuple[np.ndarray, np.ndarray]: ``objects`` (H, W) int32, 0 = no object,
        1..N = the objects; ``classes`` (N,) int64, object n's class id at
        index n - 1. An instance none of whose pixels has a foreground class
        in ``semantic`` is left out.

    Raises:
        ValueError: the masks differ in size.
    """
    semantic = np.asarray(semantic)
    objects = np.zeros(semantic.shape, np.int32)
    classes: List[int] = []
    if instance is not None:
        instance = np.asarray(instance)
        if instance.shape != semantic.shape:
            raise ValueError(
                f'the instance mask is {instance.shape[0]}x{instance.shape[1]} '
                f'but the semantic mask is {semantic.shape[0]}x{semantic.shape[1]}'
            )
        for inst_id in np.unique(instance):
            if inst_id in (0, ignore_index):
                continue
            where = instance == inst_id
            if where.sum() < min_object_pixels:
                continue
            ids = semantic[where]
            ids = ids[(ids != background_index) & (ids != ignore_index)]
            if ids.size == 0:
                continue
            values, counts = np.unique(ids, return_counts=True)
            classes.append(int(values[np.argmax(counts)]))
            objects[where] = len(classes)
        return objects, np.asarray(classes, np.int64)
    for cls in np.unique(semantic):
        if cls in (background_index, ignore_index):
            continue
        num, components, stats, _ = cv2.connectedComponentsWithStats(
            (semantic == cls).astype(np.uint8), connectivity=8
        )
        for comp in range(1, num):
            if stats[comp, cv2.CC_STAT_AREA] < min_object_pixels:
                continue
            classes.append(int(cls))
            objects[components == comp] = len(classes)
    return objects, np.asarray(classes, np.int64)


def touching_pairs(
    objects: np.ndarray, ignore: Optional[np.ndarray] = None, touch_distance: int = 5
) -> np.ndarray:
    """Which objects touch which (see the module docstring for the rule).

    Args:
        objects (np.ndarray): (H, W) int, 0 = no object, 1..N = objects
            (:func:`object_instances`).
        ignore (np.ndarray, optional): (H, W) bool, the ignore pixels an object
            grows through. None: none (objects touch only when 8-adjacent).
        touch_distance (int): the most ignore pixels crossed, >= 0.

    Returns:
        np.ndarray: (N, N) bool, symmetric, False on the diagonal.

    Raises:
        ValueError: ``touch_distance`` < 0.
    """
    if touch_distance < 0:
        raise ValueError(f'touch_distance must be >= 0, got {touch_distance}')
    num = int(objects.max()) if objects.size else 0
    touch = np.zeros((num, num), bool)
    passable = np.zeros(objects.shape, bool) if ignore is None else np.asarray(ignore, bool)
    for n in range(1, num + 1):
        grown = (objects == n).astype(np.uint8)
        for _ in range(touch_distance):
            grown = cv2.dilate(grown, _EIGHT) & (grown.astype(bool) | passable).astype(np.uint8)
        reached = objects[cv2.dilate(grown, _EIGHT).astype(bool)]
        for m in np.unique(reached):
            if m not in (0, n):
                touch[n - 1, m - 1] = touch[m - 1, n - 1] = True
    return touch


def occlusion_flags(touch: np.ndarray) -> Tuple[bool, bool]:
    """``(one, all)``: some object touches another; at least two objects and
    every object touches another.

    Args:
        touch (np.ndarray): (N, N) bool from :func:`touching_pairs`.
    """
    touches = touch.any(axis=1)
    return bool(touches.any()), bool(len(touches) >= 2 and touches.all())


def image_classes(
    semantic: np.ndarray,
    background_index: int = 0,
    ignore_index: int = 255,
    min_object_pixels: int = 10,
) -> List[int]:
    """The foreground class ids of one image with at least ``min_object_pixels``
    pixels, increasing.

    Args:
        semantic (np.ndarray): (H, W) integer class ids.
    """
    values, counts = np.unique(np.asarray(semantic), return_counts=True)
    return [
        int(v)
        for v, c in zip(values, counts)
        if v not in (background_index, ignore_index) and c >= min_object_pixels
    ]


def count_bucket(count: int, unit: str, max_count: int = MAX_COUNT) -> Optional[str]:
    """``'<count>-<unit>'``, ``'<max_count>+-<unit>'`` from ``max_count`` on,
    None for 0."""
    if count <= 0:
        return None
    return f'{max_count}+-{unit}' if count >= max_count else f'{count}-{unit}'


def symmetric_counts(matrix: np.ndarray) -> np.ndarray:
    """A co-occurrence matrix as pair counts: itself when symmetric (``'images'``
    counts), else ``C + C.T`` (``'pixels'`` counts; as
    :func:`wsss_mm.evaluation.cooccurrence.top_pairs` counts a pair)."""
    matrix = np.asarray(matrix)
    return matrix if np.array_equal(matrix, matrix.T) else matrix + matrix.T


def cooccurrence_subsets(
    classes: Sequence[int],
    matrix: np.ndarray,
    thresholds: Sequence[float] = DEFAULT_COOC_THRESHOLDS,
    keep_single_class: bool = True,
) -> List[str]:
    """The ``cooc<T>`` subsets of an image holding ``classes``.

    Args:
        classes (Sequence[int]): the image's foreground class ids.
        matrix (np.ndarray): (K, K) co-occurrence counts (training set).
        thresholds (Sequence[float]): the T's.
        keep_single_class (bool): an image with one foreground class is in
            every subset (True) or in none.

    Returns:
        list[str]: ``'cooc<T>'`` for each T above every pair's count, in the
        order of ``thresholds``.
    """
    classes = sorted(set(int(c) for c in classes))
    if not classes or (len(classes) == 1 and not keep_single_class):
        return []
    sym = symmetric_counts(matrix)
    worst = max((sym[a, b] for i, a in enumerate(classes) for b in classes[i + 1 :]), default=-1)
    return [f'cooc<{threshold_name(t)}' for t in thresholds if worst < t]


def threshold_name(threshold: float) -> str:
    """``50`` for 50 or 50.0, ``12.5`` for 12.5."""
    return str(int(threshold)) if float(threshold).is_integer() else str(threshold)


def partner_classes(
    matrix: np.ndarray, anchor: int, num: int = 5, background_index: Optional[int] = 0
) -> List[int]:
    """The ``num`` classes that co-occur most with ``anchor`` (Table 4's five
    classes with person): most first, ties by id; classes that never co-occur
    with it, the anchor and the background are left out.

    Args:
        matrix (np.ndarray): (K, K) co-occurrence counts.
        anchor (int): the anchor class id.
        num (int): the classes returned (fewer when fewer co-occur).
        background_index (int, optional): left out (None: none).
    """
    row = symmetric_counts(matrix)[anchor]
    ids = [c for c in range(len(row)) if c not in (anchor, background_index) and row[c] > 0]
    return sorted(ids, key=lambda c: (-row[c], c))[:num]


def partner_subsets(
    classes: Sequence[int], anchor: int, partners: Sequence[int], names: Sequence[str]
) -> List[str]:
    """Table 4's subsets of an image holding ``classes``: ``'<anchor>+<cls>'``
    when it holds both, ``'only-<cls>'`` when ``cls`` is its only foreground
    class, for each partner ``cls`` (``names``: the class names by id)."""
    present = set(int(c) for c in classes)
    subsets = []
    for cls in partners:
        if anchor in present and cls in present:
            subsets.append(f'{names[anchor]}+{names[cls]}')
        if present == {cls}:
            subsets.append(f'only-{names[cls]}')
    return subsets


def image_subsets(
    semantic: np.ndarray,
    instance: Optional[np.ndarray] = None,
    cooccurrence: Optional[np.ndarray] = None,
    thresholds: Sequence[float] = DEFAULT_COOC_THRESHOLDS,
    anchor: Optional[int] = None,
    partners: Sequence[int] = (),
    class_names: Optional[Sequence[str]] = None,
    background_index: int = 0,
    ignore_index: int = 255,
    min_object_pixels: int = 10,
    touch_distance: int = 5,
    keep_single_class: bool = True,
) -> List[str]:
    """Every subset one image belongs to (names in the module docstring).

    Args:
        semantic (np.ndarray): (H, W) class ids, ``ignore_index`` ignored.
        instance (np.ndarray, optional): (H, W) instance ids (0 background,
            ``ignore_index`` ignored); None: components of ``semantic``.
        cooccurrence (np.ndarray, optional): (K, K) training-set co-occurrence
            counts; None: no ``cooc<T>`` and no Table 4 subsets.
        thresholds (Sequence[float]): Fig. 5's thresholds.
        anchor (int, optional): Table 4's anchor class id (person: 15 in VOC).
        partners (Sequence[int]): Table 4's classes (:func:`partner_classes`).
        class_names (Sequence[str], optional): names by class id (default:
            the ids as strings), for Table 4's subset names.
        background_index (int): the background class id.
        ignore_index (int): the ignore value of the masks.
        min_object_pixels (int): smaller objects / classes are left out.
        touch_distance (int): see :func:`touching_pairs`.
        keep_single_class (bool): see :func:`cooccurrence_subsets`.

    Returns:
        list[str]: occlusion, object-count, class-count, co-occurrence and
        Table 4 subsets, in that order.
    """
    semantic = np.asarray(semantic)
    objects, _ = object_instances(
        semantic, instance, background_index, ignore_index, min_object_pixels
    )
    ignore = semantic == ignore_index
    if instance is not None:
        ignore |= np.asarray(instance) == ignore_index
    one, every = occlusion_flags(touching_pairs(objects, ignore, touch_distance))
    classes = image_classes(semantic, background_index, ignore_index, min_object_pixels)
    subsets = ['1-Occ'] * one + ['All-Occ'] * every
    for bucket in (count_bucket(int(objects.max()), 'Obj'), count_bucket(len(classes), 'Cls')):
        if bucket is not None:
            subsets.append(bucket)
    if cooccurrence is not None:
        subsets += cooccurrence_subsets(classes, cooccurrence, thresholds, keep_single_class)
        if anchor is not None:
            names = class_names or [str(i) for i in range(len(cooccurrence))]
            subsets += partner_subsets(classes, anchor, partners, names)
    return subsets


def subset_order(
    thresholds: Sequence[float] = DEFAULT_COOC_THRESHOLDS,
    pair_names: Sequence[Tuple[str, str]] = (),
    max_count: int = MAX_COUNT,
) -> Dict[str, List[str]]:
    """Every subset name, grouped as the paper's tables are: ``occlusion``,
    ``objects``, ``classes``, ``cooccurrence``, and ``anchor`` / ``only``
    (Table 4; ``pair_names``: ``(anchor name, class name)`` per partner)."""
    counts = [*(str(k) for k in range(1, max_count)), f'{max_count}+']
    return dict(
        occlusion=['1-Occ', 'All-Occ'],
        objects=[f'{k}-Obj' for k in counts],
        classes=[f'{k}-Cls' for k in counts],
        cooccurrence=[f'cooc<{threshold_name(t)}' for t in thresholds],
        anchor=[f'{a}+{c}' for a, c in pair_names],
        only=[f'only-{c}' for _, c in pair_names],
    )
