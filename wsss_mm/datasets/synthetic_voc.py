"""A synthetic dataset in the PASCAL VOC 2012 layout (or the COCO 2014 WSSS layout),
learnable on a CPU in minutes.

Each image holds 1-3 objects of the 20 VOC classes on a cluttered background. An
object is a large *body* whose shape and colour are only weakly class-informative,
plus a small *discriminative part* (a saturated, class-specific colour and pattern,
~5-15% of the object) inside it. A classifier can name the class from the part
alone, so plain CAMs cover only part of the object, as on real data. Classes
co-occur like in VOC (chair with dining table, person with horse, ...) and some
pairs never do (aeroplane with anything but person, boat with cow, ...).

This module depends on numpy, OpenCV, Pillow and the import-free
:mod:`wsss_mm.datasets.coco_layout` only.

Layout written under ``out_dir``::

    JPEGImages/<id>.jpg                 RGB, JPEG quality 95, size x size
    SegmentationClass/<id>.png          'P' mode, VOC palette; 0 = background,
                                        1..20 = VOC class ids, 255 = ignore band
    ImageSets/Segmentation/{train,val,trainval}.txt
    synthetic_voc.json                  parameters + summary (marks the folder
                                        as a synthetic set)

With ``layout='coco'`` the set has COCO's 80 classes in the COCO 2014 WSSS layout
(:mod:`wsss_mm.datasets.coco_layout`)::

    train2014/COCO_train2014_<12 digits>.jpg, val2014/COCO_val2014_<12 digits>.jpg
    SegmentationClass/{train2014,val2014}/<id>.png   0 = background, 1..80, 255
    train.txt, val.txt
    synthetic_voc.json

COCO class c looks like VOC class ``(c - 1) % 20 + 1`` (its part and body hue)
with the body shape moved ``(c - 1) // 20`` steps along ``SHAPES``: the part
names one of 20 groups of 4 classes, the body shape the class in the group.

A :class:`SyntheticStyle` changes the data's character (object size, thin
objects, a subset of the classes, background clutter) so that a pipeline can be
checked on data it was not tuned on; the default style gives the data above.
Its ``regime='parts'`` makes every class draw its body from the same shapes and
hues, so that only the part tells the classes apart and CAMs cover little more
than the parts, as ImageNet CAMs on VOC do (seeds near 48 mIoU).
"""

from __future__ import annotations

import dataclasses
import json
import os
import os.path as osp
import re
from collections.abc import Callable
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from .coco_layout import COCO_CLASSES, IMG_DIRS, MASK_DIRS, TRAIN_SPLIT, VAL_SPLIT, colour_map

VOC_CLASSES = (
    'background',
    'aeroplane',
    'bicycle',
    'bird',
    'boat',
    'bottle',
    'bus',
    'car',
    'cat',
    'chair',
    'cow',
    'diningtable',
    'dog',
    'horse',
    'motorbike',
    'person',
    'pottedplant',
    'sheep',
    'sofa',
    'train',
    'tvmonitor',
)
NUM_CLASSES = 20
IGNORE_INDEX = 255
ID_PREFIX = 'synth_'
MARKER_FILE = 'synthetic_voc.json'
LAYOUTS = ('voc', 'coco')
COCO_NUM_CLASSES = len(COCO_CLASSES) - 1
#: image id of image ``index`` of split ``split`` ('train' or 'val') in the COCO layout
COCO_ID = 'COCO_{split}2014_{index:012d}'
JPEG_QUALITY = 95

# --------------------------------------------------------------------------- #
# Class appearance
# --------------------------------------------------------------------------- #
#: Colours of the discriminative parts: the corners of the RGB cube plus orange
#: and violet, at least 127 apart from each other in RGB.
PART_COLOURS = (
    (255, 0, 0),
    (255, 128, 0),
    (255, 255, 0),
    (0, 255, 0),
    (0, 255, 255),
    (0, 0, 255),
    (128, 0, 255),
    (255, 0, 255),
    (255, 255, 255),
    (0, 0, 0),
)
PART_PATTERNS = ('disc', 'striped_square')
#: class id -> (index into PART_COLOURS, pattern). The two classes that share a
#: colour never or rarely co-occur.
CLASS_PARTS = {
    1: (0, 'disc'),
    11: (0, 'striped_square'),
    2: (1, 'disc'),
    20: (1, 'striped_square'),
    4: (2, 'disc'),
    9: (2, 'striped_square'),
    6: (3, 'disc'),
    18: (3, 'striped_square'),
    19: (4, 'disc'),
    5: (4, 'striped_square'),
    8: (5, 'disc'),
    7: (5, 'striped_square'),
    13: (6, 'disc'),
    3: (6, 'striped_square'),
    17: (7, 'disc'),
    14: (7, 'striped_square'),
    15: (8, 'disc'),
    10: (8, 'striped_square'),
    12: (9, 'disc'),
    16: (9, 'striped_square'),
}
#: class id -> body shape; each shape is shared by 4 classes.
CLASS_SHAPES = {
    6: 'rectangle',
    7: 'rectangle',
    19: 'rectangle',
    20: 'rectangle',
    1: 'triangle',
    4: 'triangle',
    9: 'triangle',
    16: 'triangle',
    2: 'ellipse',
    10: 'ellipse',
    13: 'ellipse',
    17: 'ellipse',
    3: 'blob',
    8: 'blob',
    12: 'blob',
    15: 'blob',
    5: 'diamond',
    11: 'diamond',
    14: 'diamond',
    18: 'diamond',
}
#: Mean body hue (degrees) of class c is BODY_HUE_STEP * c; the hue is drawn
#: with std BODY_HUE_STD, so neighbouring classes overlap heavily.
BODY_HUE_STEP = 18.0
BODY_HUE_STD = 30.0
BODY_SATURATION = (0.2, 0.55)
BODY_VALUE = (0.35, 0.8)
#: Body extent (mean of width and height) as a fraction of the image side.
BODY_EXTENT = (0.28, 0.5)
BODY_ASPECT = (0.6, 1.6)
#: Aspect ratio range of thin objects (SyntheticStyle.thin_fraction).
THIN_ASPECT = (4.0, 8.0)
#: Largest allowed body extent once scaled by SyntheticStyle.object_scale.
MAX_BODY_EXTENT = 0.9
MAX_OBJECT_SCALE = MAX_BODY_EXTENT / BODY_EXTENT[1]
#: Area of the discriminative part as a fraction of the body's area; the part is
#: at least size / 16 across.
PART_AREA_FRACTION = (0.05, 0.12)
#: The data regimes of SyntheticStyle.regime: 'default', the body's shape and
#: hue weakly tied to the class (CLASS_SHAPES, BODY_HUE_STEP); 'parts', every
#: class draws its body shape uniformly from SHAPES and its hue uniformly from
#: 0-360 degrees, so that only the part names the class.
REGIMES = ('default', 'parts')
#: Std of the pixel noise added to the whole image.
PIXEL_NOISE_STD = 7.0
#: Background: smooth gradient + noise in dull colours; distractors: small grey
#: shapes.
BACKGROUND_SATURATION = (0.0, 0.3)
BACKGROUND_VALUE = (0.3, 0.75)
DISTRACTOR_COUNT = (3, 8)
DISTRACTOR_EXTENT = (0.05, 0.12)
DISTRACTOR_SATURATION = (0.0, 0.15)
DISTRACTOR_VALUE = (0.25, 0.7)
#: Caps of the distractor saturation and extent for SyntheticStyle.clutter > 1.
MAX_DISTRACTOR_SATURATION = 0.6
MAX_DISTRACTOR_EXTENT = 0.25

# --------------------------------------------------------------------------- #
# Class co-occurrence
# --------------------------------------------------------------------------- #
#: Probabilities of 1, 2 and 3 objects per image (before occlusion drops).
NUM_OBJECTS_PROBS = (0.45, 0.4, 0.15)
#: Pairs that co-occur often: a companion in such a pair is CO_OCCURRENCE_BOOST
#: times as likely as an unrelated class.
CO_OCCURRING_PAIRS = (
    (9, 11),
    (9, 18),
    (9, 20),
    (18, 20),
    (5, 11),
    (5, 15),
    (16, 9),
    (16, 18),
    (8, 18),
    (12, 18),
    (15, 2),
    (15, 14),
    (15, 13),
    (15, 1),
    (15, 4),
    (15, 9),
    (15, 12),
    (15, 7),
    (6, 7),
    (7, 14),
    (2, 7),
    (10, 17),
    (13, 10),
    (3, 4),
)
CO_OCCURRENCE_BOOST = 8.0
#: Weight of a second instance of a class already in the image.
REPEAT_WEIGHT = 2.0
#: Classes are drawn in blocks of CLASS_BLOCK consecutive images of a split. In
#: a block, class c (index c - 1) is the first class of FIRST_CLASS_QUOTA[c - 1]
#: images (frequent companions get fewer, rare ones more), and a block is redrawn
#: until every class is at least MIN_BLOCK_CLASS_SHARE of its instances. Every
#: class is then ~4.5% of all instances, and person, everyone's companion, ~9%.
CLASS_BLOCK = 100
FIRST_CLASS_QUOTA = (6, 5, 5, 6, 5, 6, 4, 5, 4, 5, 5, 5, 5, 5, 3, 5, 6, 4, 6, 5)
MIN_BLOCK_CLASS_SHARE = 0.032
_INDOOR = (5, 9, 11, 16, 18, 20)
_OUTDOOR = (1, 2, 4, 6, 10, 13, 14, 17, 19)
#: Pairs that never co-occur: aeroplane with anything but person, indoor
#: furniture with vehicles and farm animals, and a few more.
NEVER_PAIRS = tuple(
    sorted(
        {(1, c) for c in range(2, NUM_CLASSES + 1) if c != 15}
        | {(a, b) for a in _INDOOR for b in _OUTDOOR if a != 5 or b in (1, 10, 13, 17)}
        | {
            (4, 10),
            (4, 13),
            (4, 17),
            (4, 6),
            (4, 19),
            (4, 14),
            (6, 10),
            (6, 17),
            (19, 10),
            (19, 17),
            (8, 10),
            (8, 17),
            (3, 20),
        }
    )
)

# --------------------------------------------------------------------------- #
# Object placement
# --------------------------------------------------------------------------- #
MAX_PLACEMENT_TRIES = 12
#: A placement is kept only while every object keeps this fraction of its area
#: and of its part visible, and at least MIN_VISIBLE_AREA (fraction of image).
MIN_VISIBLE_FRACTION = 0.5
MIN_PART_VISIBLE_FRACTION = 0.6
MIN_VISIBLE_AREA = 0.015

_SHAPE_POINTS = 48
_STALE_FILE = {
    'voc': re.compile(rf'^{ID_PREFIX}\d+\.(jpg|png)$'),
    'coco': re.compile(r'^COCO_(train|val)2014_\d{12}\.(jpg|png)$'),
}
#: the body shapes, in the order COCO classes step through
SHAPES = ('rectangle', 'triangle', 'ellipse', 'blob', 'diamond')


def _affinity_table() -> np.ndarray:
    """Builds the companion weight table from the pair constants.

    Returns:
        np.ndarray: float64 (21, 21); entry [a, b] multiplies the weight of
        class b as a companion of class a (row and column 0 unused).
    """
    table = np.ones((NUM_CLASSES + 1, NUM_CLASSES + 1))
    np.fill_diagonal(table, REPEAT_WEIGHT)
    for a, b in CO_OCCURRING_PAIRS:
        table[a, b] = table[b, a] = CO_OCCURRENCE_BOOST
    for a, b in NEVER_PAIRS:
        table[a, b] = table[b, a] = 0.0
    table[0, :] = table[:, 0] = 0.0
    return table


AFFINITY = _affinity_table()


def _is_number(value) -> bool:
    """Whether ``value`` is a real, finite number (not a bool)."""
    return (
        isinstance(value, (int, float, np.integer, np.floating))
        and not isinstance(value, (bool, np.bool_))
        and bool(np.isfinite(value))
    )


@dataclass(frozen=True)
class SyntheticStyle:
    """Options that change the character of the synthetic data.

    The default style gives the standard data, byte for byte. Every field is
    checked on construction (``ValueError`` naming the field otherwise).

    Attributes:
        object_scale (float): multiplies ``BODY_EXTENT``, the object size
            relative to the image (0.5: small objects). > 0, and
            ``BODY_EXTENT[1] * object_scale <= MAX_BODY_EXTENT`` (0.9), i.e.
            ``object_scale <= MAX_OBJECT_SCALE`` (1.8). Below 1 the minimum
            visible object area ``MIN_VISIBLE_AREA`` shrinks with
            ``object_scale ** 2`` so that small objects are still placed.
        thin_fraction (float): probability in [0, 1] that an object is thin:
            its aspect ratio is drawn from ``THIN_ASPECT`` instead of
            ``BODY_ASPECT`` (its rotation is random).
        classes (tuple[int, ...] | None): the VOC class ids (1..20, at least 2,
            distinct; stored sorted, all 20 stored as None) the images are
            drawn from; None for all 20. Labels keep their VOC ids, the other
            classes never occur.
        clutter (float): background clutter, >= 0. Multiplies the number of
            distractors (``DISTRACTOR_COUNT``, rounded; 0: none). Above 1 the
            distractors also get colour (saturation up to
            ``DISTRACTOR_SATURATION[1] * clutter``, at most 0.6) and grow
            (``DISTRACTOR_EXTENT * sqrt(clutter)``, at most 0.25).
        regime (str): one of ``REGIMES``. ``'default'``: the body's shape and
            hue are weakly tied to the class. ``'parts'``: every class draws
            its body shape and hue from the same distributions, so that only
            the part tells the classes apart (VOC layout only).
    """

    object_scale: float = 1.0
    thin_fraction: float = 0.0
    classes: tuple[int, ...] | None = None
    clutter: float = 1.0
    regime: str = 'default'

    def __post_init__(self) -> None:
        scale = self.object_scale
        if not (_is_number(scale) and 0 < scale and BODY_EXTENT[1] * scale <= MAX_BODY_EXTENT):
            raise ValueError(
                f'object_scale must be a number > 0 and <= {MAX_OBJECT_SCALE:g} '
                f'(body extent up to {MAX_BODY_EXTENT:g} of the image), '
                f'got {scale!r}'
            )
        if not (_is_number(self.thin_fraction) and 0 <= self.thin_fraction <= 1):
            raise ValueError(
                f'thin_fraction must be a number in [0, 1], got {self.thin_fraction!r}'
            )
        if not (_is_number(self.clutter) and self.clutter >= 0):
            raise ValueError(f'clutter must be a number >= 0, got {self.clutter!r}')
        if self.regime not in REGIMES:
            raise ValueError(f'regime must be one of {REGIMES}, got {self.regime!r}')
        for name in ('object_scale', 'thin_fraction', 'clutter'):
            object.__setattr__(self, name, float(getattr(self, name)))
        if self.classes is not None:
            classes = self.classes
            expected = f'at least 2 distinct VOC class ids in 1..{NUM_CLASSES}'
            if isinstance(classes, (str, bytes)) or not hasattr(classes, '__iter__'):
                raise ValueError(f'classes must be {expected} or None, got {classes!r}')
            ids = list(classes)
            if (
                len(ids) < 2
                or len(set(ids)) != len(ids)
                or not all(
                    isinstance(c, (int, np.integer))
                    and not isinstance(c, (bool, np.bool_))
                    and 1 <= c <= NUM_CLASSES
                    for c in ids
                )
            ):
                raise ValueError(f'classes must be {expected} or None, got {classes!r}')
            ids = tuple(sorted(int(c) for c in ids))
            # All 20 classes are the default (same schedule, same data).
            object.__setattr__(self, 'classes', None if len(ids) == NUM_CLASSES else ids)

    def is_default(self) -> bool:
        """Whether this style gives the standard data."""
        return self == SyntheticStyle()

    def to_dict(self) -> dict:
        """The fields as a JSON-ready dict (``classes`` a list or None;
        ``regime`` only when not ``'default'``, so that the summary of a set
        made before the option existed is unchanged)."""
        fields = dataclasses.asdict(self)
        if self.classes is not None:
            fields['classes'] = list(self.classes)
        if self.regime == 'default':
            del fields['regime']
        return fields


DEFAULT_STYLE = SyntheticStyle()


@dataclass
class SyntheticSample:
    """One rendered image with its ground truth.

    Attributes:
        image (np.ndarray): uint8 (H, W, 3) RGB.
        label (np.ndarray): uint8 (H, W): 0 background, 1..20 VOC class ids,
            255 a 2 px ignore band on object boundaries.
        classes (list[int]): class id of each visible object, in drawing order.
        object_masks (list[np.ndarray]): bool (H, W) visible mask of each object.
        part_masks (list[np.ndarray]): bool (H, W) visible discriminative part
            of each object (a subset of its object mask).
    """

    image: np.ndarray
    label: np.ndarray
    classes: list[int]
    object_masks: list[np.ndarray]
    part_masks: list[np.ndarray]


@dataclass
class _Object:
    """An object placed on the canvas before occlusion."""

    cls: int
    mask: np.ndarray
    part_mask: np.ndarray
    rgb: np.ndarray


def voc_palette() -> list[int]:
    """Returns the standard PASCAL VOC colour map.

    Returns:
        list[int]: 768 values, (R, G, B) for indices 0..255.
    """
    return [c for rgb in colour_map(256) for c in rgb]


def class_appearance(cls: int, layout: str = 'voc') -> tuple[int, str]:
    """The look of a class: the VOC class whose part and body hue it has, and
    its body shape.

    Args:
        cls (int): class id (1..20 VOC, 1..80 COCO).
        layout (str): ``'voc'`` or ``'coco'``.

    Returns:
        tuple[int, str]: (VOC class id 1..20, shape name in ``SHAPES``).
    """
    if layout == 'voc':
        return cls, CLASS_SHAPES[cls]
    look, step = (cls - 1) % NUM_CLASSES + 1, (cls - 1) // NUM_CLASSES
    return look, SHAPES[(SHAPES.index(CLASS_SHAPES[look]) + step) % len(SHAPES)]


def coco_schedule(rng: np.random.Generator, schedule: list[list[int]]) -> list[list[int]]:
    """COCO classes from a VOC class schedule: each VOC class v becomes one of
    the 4 COCO classes that look like it, ``v + 20 * k`` with k uniform in 0..3.

    Returns:
        list[list[int]]: the schedule's shape, class ids in 1..80.
    """
    groups = COCO_NUM_CLASSES // NUM_CLASSES
    return [[v + NUM_CLASSES * int(rng.integers(groups)) for v in image] for image in schedule]


def class_schedule(
    rng: np.random.Generator, num: int, style: SyntheticStyle = DEFAULT_STYLE
) -> list[list[int]]:
    """The object classes of ``num`` consecutive images of a split.

    Images are drawn in blocks of ``CLASS_BLOCK``: class c is the first class of
    ``FIRST_CLASS_QUOTA[c - 1]`` images of a block, in random order, and
    :func:`sample_classes` adds the companions. A block is redrawn until every
    class is at least ``MIN_BLOCK_CLASS_SHARE`` of its instances, which keeps
    the class frequencies balanced even for a few hundred images. A longer
    schedule from the same generator state starts with the shorter one.

    With ``style.classes`` only those classes are used: a block holds the
    quotas of the subset only, companions come from the subset, and every
    subset class must be at least ``min(MIN_BLOCK_CLASS_SHARE, 0.5 / n)`` of a
    block's instances (n: size of the subset).

    Args:
        rng (np.random.Generator): random source.
        num (int): number of images.
        style (SyntheticStyle): only ``classes`` is used.

    Returns:
        list[list[int]]: ``num`` lists of 1 to 3 class ids in 1..20.
    """
    if style.classes is None:
        ids = np.arange(1, NUM_CLASSES + 1)
        firsts = np.repeat(ids, FIRST_CLASS_QUOTA)
        min_share = MIN_BLOCK_CLASS_SHARE
    else:
        ids = np.array(style.classes)
        firsts = np.repeat(ids, [FIRST_CLASS_QUOTA[c - 1] for c in style.classes])
        min_share = min(MIN_BLOCK_CLASS_SHARE, 0.5 / len(ids))
    schedule: list[list[int]] = []
    while len(schedule) < num:
        while True:
            block = [sample_classes(rng, int(first), style) for first in rng.permutation(firsts)]
            counts = np.bincount(np.concatenate(block), minlength=NUM_CLASSES + 1)[ids]
            if counts.min() >= min_share * counts.sum():
                break
        schedule += block
    return schedule[:num]


def sample_classes(
    rng: np.random.Generator, first: int, style: SyntheticStyle = DEFAULT_STYLE
) -> list[int]:
    """Samples the classes of one image with VOC-like co-occurrence.

    The number of objects is drawn with ``NUM_OBJECTS_PROBS``; each companion of
    ``first`` with weights ``prod(AFFINITY[c, :] for c already chosen)``, so
    pairs in ``NEVER_PAIRS`` never appear together. With ``style.classes`` the
    weights of the other classes are zero, and the image gets fewer objects
    when no subset class can join the ones chosen.

    Args:
        rng (np.random.Generator): random source.
        first (int): the first class id (1..20).
        style (SyntheticStyle): only ``classes`` is used.

    Returns:
        list[int]: 1 to 3 class ids in 1..20, ``first`` first (repeats allowed).
    """
    num = int(rng.choice(len(NUM_OBJECTS_PROBS), p=NUM_OBJECTS_PROBS)) + 1
    classes = [first]
    allowed = None
    if style.classes is not None:
        allowed = np.zeros(NUM_CLASSES + 1)
        allowed[list(style.classes)] = 1.0
    while len(classes) < num:
        weights = np.prod(AFFINITY[classes], axis=0)
        if allowed is not None:
            weights = weights * allowed
            if weights.sum() <= 0:
                break
        classes.append(int(rng.choice(NUM_CLASSES + 1, p=weights / weights.sum())))
    return classes


def _hsv_to_rgb(hue: float, saturation: float, value: float) -> np.ndarray:
    """Converts one HSV colour (hue in degrees, s and v in [0, 1]) to RGB.

    Returns:
        np.ndarray: float32 (3,) RGB in [0, 255].
    """
    hsv = np.array([[[hue % 360.0, saturation, value]]], dtype=np.float32)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)[0, 0] * 255.0


def _smooth_noise(rng: np.random.Generator, size: int, cells: int) -> np.ndarray:
    """Low-frequency noise: a random cells x cells grid, bicubically upsampled.

    Returns:
        np.ndarray: float32 (size, size), roughly in [-1, 1].
    """
    grid = rng.uniform(-1.0, 1.0, (cells, cells)).astype(np.float32)
    return cv2.resize(grid, (size, size), interpolation=cv2.INTER_CUBIC)


def _shape_polygon(rng: np.random.Generator, shape: str) -> np.ndarray:
    """A shape's outline in unit coordinates (extent about [-1, 1]).

    Returns:
        np.ndarray: float64 (P, 2) points (x, y).
    """
    if shape == 'rectangle':
        return np.array([[-1, -1], [1, -1], [1, 1], [-1, 1]], dtype=np.float64)
    if shape == 'triangle':
        return np.array([[0, -1], [1, 1], [-1, 1]], dtype=np.float64)
    if shape == 'diamond':
        return np.array([[0, -1], [1, 0], [0, 1], [-1, 0]], dtype=np.float64)
    theta = np.linspace(0, 2 * np.pi, _SHAPE_POINTS, endpoint=False)
    radius = np.ones_like(theta)
    if shape == 'blob':
        for k in (2, 3, 4):
            radius += rng.uniform(0.0, 0.18) * np.cos(k * theta + rng.uniform(0, 2 * np.pi))
        radius /= radius.max()
    elif shape != 'ellipse':
        raise ValueError(f'unknown shape {shape!r}')
    return np.stack([radius * np.cos(theta), radius * np.sin(theta)], axis=1)


def _fill_polygon(points: np.ndarray, size: int) -> np.ndarray:
    """Rasterises a polygon given in pixel coordinates.

    Returns:
        np.ndarray: bool (size, size) mask.
    """
    mask = np.zeros((size, size), np.uint8)
    cv2.fillPoly(mask, [np.round(points * 16).astype(np.int32)], 1, cv2.LINE_8, shift=4)
    return mask.astype(bool)


def _place_shape(
    rng: np.random.Generator,
    shape: str,
    size: int,
    extent: tuple[float, float],
    centre: np.ndarray,
    aspect_range: tuple[float, float] = BODY_ASPECT,
) -> np.ndarray:
    """Draws a randomly sized, stretched and rotated shape around ``centre``.

    Args:
        extent (tuple[float, float]): range of the mean of width and height, as
            a fraction of ``size``.
        centre (np.ndarray): (x, y) in pixels.
        aspect_range (tuple[float, float]): range of width / height before the
            rotation.

    Returns:
        np.ndarray: bool (size, size) mask.
    """
    diameter = rng.uniform(*extent) * size
    aspect = rng.uniform(*aspect_range)
    half = 0.5 * diameter * np.array([np.sqrt(aspect), 1 / np.sqrt(aspect)])
    angle = rng.uniform(0, np.pi)
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    points = (_shape_polygon(rng, shape) * half) @ rotation.T + centre
    return _fill_polygon(points, size)


def _distractor_ranges(
    clutter: float,
) -> tuple[tuple[int, int], tuple[float, float], tuple[float, float]]:
    """The distractor count, extent and saturation ranges of a clutter level.

    Returns:
        tuple: (count range, extent range, saturation range); the constants for
        ``clutter == 1``.
    """
    if clutter == 1.0:
        return DISTRACTOR_COUNT, DISTRACTOR_EXTENT, DISTRACTOR_SATURATION
    count = (int(round(DISTRACTOR_COUNT[0] * clutter)), int(round(DISTRACTOR_COUNT[1] * clutter)))
    if clutter <= 1.0:
        return count, DISTRACTOR_EXTENT, DISTRACTOR_SATURATION
    grow = float(np.sqrt(clutter))
    extent = (
        min(DISTRACTOR_EXTENT[0] * grow, MAX_DISTRACTOR_EXTENT),
        min(DISTRACTOR_EXTENT[1] * grow, MAX_DISTRACTOR_EXTENT),
    )
    saturation = (
        DISTRACTOR_SATURATION[0],
        min(DISTRACTOR_SATURATION[1] * clutter, MAX_DISTRACTOR_SATURATION),
    )
    return count, extent, saturation


def _background(
    rng: np.random.Generator, size: int, style: SyntheticStyle = DEFAULT_STYLE
) -> np.ndarray:
    """A dull random gradient with smooth noise, plus grey distractors.

    ``style.clutter`` scales the number of distractors and, above 1, their size
    and saturation (see :class:`SyntheticStyle`).

    Returns:
        np.ndarray: float32 (size, size, 3) RGB in [0, 255] (not clipped).
    """
    count, extent, saturation = _distractor_ranges(style.clutter)
    colours = [
        _hsv_to_rgb(
            rng.uniform(0, 360), rng.uniform(*BACKGROUND_SATURATION), rng.uniform(*BACKGROUND_VALUE)
        )
        for _ in range(2)
    ]
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32) / (size - 1)
    ramp = xs * np.cos(angle) + ys * np.sin(angle)
    ramp = (ramp - ramp.min()) / (ramp.max() - ramp.min())
    image = colours[0] * (1 - ramp[..., None]) + colours[1] * ramp[..., None]
    image += 20.0 * _smooth_noise(rng, size, 5)[..., None]
    for _ in range(int(rng.integers(count[0], count[1] + 1))):
        shape = ('ellipse', 'rectangle', 'triangle')[int(rng.integers(3))]
        mask = _place_shape(rng, shape, size, extent, rng.uniform(0, size, 2))
        grey = _hsv_to_rgb(
            rng.uniform(0, 360), rng.uniform(*saturation), rng.uniform(*DISTRACTOR_VALUE)
        )
        image[mask] = grey
    return image


def _draw_part(rng: np.random.Generator, cls: int, body: np.ndarray, rgb: np.ndarray) -> np.ndarray:
    """Paints the class's discriminative part inside a body (in place on ``rgb``).

    The part's centre is drawn among the body pixels far enough from the body's
    edge (and the image's) for the part to fit, else the most interior pixel.

    Args:
        cls (int): class id.
        body (np.ndarray): bool (H, W) body mask.
        rgb (np.ndarray): float32 (H, W, 3) the object's colours.

    Returns:
        np.ndarray: bool (H, W) part mask.
    """
    size = body.shape[0]
    colour_index, pattern = CLASS_PARTS[cls]
    area = rng.uniform(*PART_AREA_FRACTION) * body.sum()
    if pattern == 'disc':
        half = max(np.sqrt(area / np.pi), size / 32)
    else:
        half = max(np.sqrt(area) / 2, size / 32)
    padded = body.astype(np.uint8)
    padded[[0, -1], :] = padded[:, [0, -1]] = 0
    dist = cv2.distanceTransform(padded, cv2.DIST_L2, 5)
    reach = half if pattern == 'disc' else half * np.sqrt(2)
    candidates = np.flatnonzero(dist >= reach + 1)
    if candidates.size:
        flat = int(candidates[rng.integers(candidates.size)])
    else:
        flat = int(np.argmax(dist))
    cy, cx = divmod(flat, size)
    angle = rng.uniform(0, np.pi)
    ys, xs = np.mgrid[0:size, 0:size].astype(np.float32)
    u = (xs - cx) * np.cos(angle) + (ys - cy) * np.sin(angle)
    v = (ys - cy) * np.cos(angle) - (xs - cx) * np.sin(angle)
    colour = np.array(PART_COLOURS[colour_index], np.float32)
    if pattern == 'disc':
        part = u**2 + v**2 <= half**2
        rgb[part] = colour
    else:
        part = (np.abs(u) <= half) & (np.abs(v) <= half)
        stripes = part & (np.floor((v + half) / (half / 2)) % 2 == 1)
        luminance = colour @ np.array([0.299, 0.587, 0.114], np.float32)
        rgb[part] = colour
        rgb[stripes] = 0.0 if luminance > 100 else 255.0
    return part


def _sample_object(
    rng: np.random.Generator,
    cls: int,
    size: int,
    style: SyntheticStyle = DEFAULT_STYLE,
    layout: str = 'voc',
) -> _Object:
    """Samples one object (body + part) of a class at a random place; its look
    is :func:`class_appearance`'s.

    ``style.object_scale`` scales the body extent; with probability
    ``style.thin_fraction`` the body's aspect ratio comes from ``THIN_ASPECT``.
    With ``style.regime == 'parts'`` the body's shape is uniform over
    ``SHAPES`` and its hue uniform over 0-360 degrees, whatever the class.

    Returns:
        _Object: its full masks and its colours (float32 (H, W, 3)).
    """
    centre = rng.uniform(0.2 * size, 0.8 * size, 2)
    extent = (BODY_EXTENT[0] * style.object_scale, BODY_EXTENT[1] * style.object_scale)
    aspect_range = BODY_ASPECT
    # The extra draw only when needed, so that the default data stay the same.
    if style.thin_fraction > 0 and rng.uniform() < style.thin_fraction:
        aspect_range = THIN_ASPECT
    look, shape = class_appearance(cls, layout)
    parts_regime = style.regime == 'parts'
    if parts_regime:
        shape = SHAPES[int(rng.integers(len(SHAPES)))]
    body = _place_shape(rng, shape, size, extent, centre, aspect_range)
    hue = (
        rng.uniform(0.0, 360.0)
        if parts_regime
        else BODY_HUE_STEP * look + rng.normal(0.0, BODY_HUE_STD)
    )
    base = _hsv_to_rgb(hue, rng.uniform(*BODY_SATURATION), rng.uniform(*BODY_VALUE))
    rgb = base * (1.0 + 0.2 * _smooth_noise(rng, size, 6))[..., None]
    part = _draw_part(rng, look, body, rgb)
    return _Object(cls=cls, mask=body | part, part_mask=part, rgb=rgb)


def _visible_enough(
    instances: np.ndarray, objects: list[_Object], min_visible_area: float = MIN_VISIBLE_AREA
) -> bool:
    """Whether every object keeps enough of itself and of its part visible.

    Args:
        instances (np.ndarray): uint8 (H, W) map, k + 1 where object k is on top.
        objects (list[_Object]): the objects, in drawing order.
        min_visible_area (float): smallest visible area, a fraction of the image.
    """
    min_area = min_visible_area * instances.size
    for k, obj in enumerate(objects):
        visible = instances == k + 1
        area = visible.sum()
        if area < min_area or area < MIN_VISIBLE_FRACTION * obj.mask.sum():
            return False
        if (visible & obj.part_mask).sum() < MIN_PART_VISIBLE_FRACTION * obj.part_mask.sum():
            return False
    return True


def render_sample(
    rng: np.random.Generator,
    size: int,
    classes: list[int],
    style: SyntheticStyle = DEFAULT_STYLE,
    layout: str = 'voc',
) -> SyntheticSample:
    """Renders one image and its segmentation mask.

    The objects are drawn in random order, each placed up to
    ``MAX_PLACEMENT_TRIES`` times until it and all earlier objects stay visible
    enough, else it is left out.

    Args:
        rng (np.random.Generator): random source.
        size (int): image side in pixels.
        classes (list[int]): class id of each object to draw.
        style (SyntheticStyle): object size, thin objects and clutter (its
            ``classes`` is not used here).
        layout (str): ``'voc'`` (class ids 1..20) or ``'coco'`` (1..80).

    Returns:
        SyntheticSample: the image, its label map and per-object masks.
    """
    image = _background(rng, size, style)
    min_visible_area = MIN_VISIBLE_AREA * min(1.0, style.object_scale) ** 2
    instances = np.zeros((size, size), np.uint8)
    objects: list[_Object] = []
    for cls in rng.permutation(classes).tolist():
        for _ in range(MAX_PLACEMENT_TRIES):
            obj = _sample_object(rng, cls, size, style, layout)
            candidate = instances.copy()
            candidate[obj.mask] = len(objects) + 1
            if _visible_enough(candidate, objects + [obj], min_visible_area):
                objects.append(obj)
                instances = candidate
                break
    for obj in objects:
        image[obj.mask] = obj.rgb[obj.mask]
    image += PIXEL_NOISE_STD * rng.standard_normal(image.shape, dtype=np.float32)
    lut = np.zeros(256, np.uint8)
    lut[1 : len(objects) + 1] = [obj.cls for obj in objects]
    label = lut[instances]
    kernel = np.ones((3, 3), np.uint8)
    label[cv2.dilate(instances, kernel) != cv2.erode(instances, kernel)] = IGNORE_INDEX
    object_masks = [instances == k + 1 for k in range(len(objects))]
    return SyntheticSample(
        image=np.clip(np.round(image), 0, 255).astype(np.uint8),
        label=label,
        classes=[obj.cls for obj in objects],
        object_masks=object_masks,
        part_masks=[m & obj.part_mask for m, obj in zip(object_masks, objects)],
    )


def _atomic_write(path: str, write: Callable[[str], None]) -> None:
    """Calls ``write(tmp)`` on a temporary name next to ``path``, then renames.

    Args:
        path (str): final file path.
        write (Callable[[str], None]): writes the file to the given path.
    """
    folder, name = osp.split(path)
    tmp = osp.join(folder, f'.{name}.{os.getpid()}.tmp')
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def _write_text(path: str, text: str) -> None:
    """Writes a text file atomically."""

    def write(tmp: str) -> None:
        with open(tmp, 'w') as f:
            f.write(text)

    _atomic_write(path, write)


def _save_image(path: str, image: np.ndarray) -> None:
    """Writes a uint8 (H, W, 3) RGB array as a JPEG, atomically."""
    _atomic_write(
        path,
        lambda tmp: Image.fromarray(image, 'RGB').save(tmp, format='JPEG', quality=JPEG_QUALITY),
    )


def _save_mask(path: str, label: np.ndarray, palette: list[int]) -> None:
    """Writes a uint8 (H, W) label map as a palette PNG, atomically."""
    mask = Image.fromarray(label)
    mask.putpalette(palette)
    _atomic_write(path, lambda tmp: mask.save(tmp, format='PNG'))


def is_synthetic_voc_dir(path: str) -> bool:
    """Whether ``path`` holds a set written by :func:`make_synthetic_voc`."""
    return osp.isfile(osp.join(path, MARKER_FILE))


@dataclass
class _SplitPlan:
    """Where one split of a synthetic set goes."""

    ids: list[str]
    image_dir: str
    mask_dir: str


def _plan(out_dir: str, layout: str, num_train: int, num_val: int) -> tuple[dict, dict]:
    """The splits of a set and its list files.

    Returns:
        tuple: ``{'train': _SplitPlan, 'val': _SplitPlan}`` and
        ``{list file path: image ids}``.
    """
    if layout == 'voc':
        ids = [f'{ID_PREFIX}{i:06d}' for i in range(num_train + num_val)]
        image_dir = osp.join(out_dir, 'JPEGImages')
        mask_dir = osp.join(out_dir, 'SegmentationClass')
        splits = {
            'train': _SplitPlan(ids[:num_train], image_dir, mask_dir),
            'val': _SplitPlan(ids[num_train:], image_dir, mask_dir),
        }
        split_dir = osp.join(out_dir, 'ImageSets', 'Segmentation')
        lists = {osp.join(split_dir, f'{name}.txt'): plan.ids for name, plan in splits.items()}
        lists[osp.join(split_dir, 'trainval.txt')] = ids
        return splits, lists
    splits = {
        split: _SplitPlan(
            [COCO_ID.format(split=split, index=i) for i in range(num)],
            osp.join(out_dir, img_dir),
            osp.join(out_dir, mask_dir),
        )
        for split, num, img_dir, mask_dir in zip(
            ('train', 'val'), (num_train, num_val), IMG_DIRS, MASK_DIRS
        )
    }
    lists = {
        osp.join(out_dir, name): plan.ids
        for name, plan in zip((TRAIN_SPLIT, VAL_SPLIT), splits.values())
    }
    return splits, lists


def make_synthetic_voc(
    out_dir: str,
    num_train: int,
    num_val: int,
    size: int = 128,
    seed: int = 0,
    style: SyntheticStyle = DEFAULT_STYLE,
    layout: str = 'voc',
) -> dict:
    """Writes a synthetic dataset in the VOC 2012 layout, or with
    ``layout='coco'`` in the COCO 2014 WSSS layout with 80 classes (see the
    module doc).

    The classes of image ``j`` of split ``s`` (0 train, 1 val) are entry ``j`` of
    :func:`class_schedule` run with ``np.random.default_rng([seed, s, 1])``
    (COCO: mapped to COCO classes by :func:`coco_schedule` with
    ``np.random.default_rng([seed, s, 2])``), its
    pixels come from ``np.random.default_rng([seed, s, 0, j])``: the output is
    byte-identical for a seed and the first images do not change when a split
    grows. Train ids are
    ``synth_000000 .. synth_{num_train-1}``, val ids follow (COCO:
    ``COCO_train2014_000000000000 ..`` and ``COCO_val2014_000000000000 ..``).
    Files are replaced atomically; images and masks of an earlier, larger set
    in the same folder are removed; other files are left alone.

    Args:
        out_dir (str): output folder (created if needed).
        num_train (int): number of train images, >= 1.
        num_val (int): number of val images, >= 1.
        size (int): image side in pixels, >= 64.
        seed (int): random seed, >= 0.
        style (SyntheticStyle): the data's character; the default gives the
            standard set (same bytes as without a style). Its ``classes``
            (VOC ids) and ``regime='parts'`` only with the VOC layout.
        layout (str): ``'voc'`` (default) or ``'coco'``.

    Returns:
        dict: ``num_train``, ``num_val``, ``size``, ``seed``, ``style`` (its
        fields, ``classes`` a list or None), ``num_objects``
        (visible object instances), ``class_counts`` (class name -> instances),
        ``class_frequencies`` (class name -> share of instances) and
        ``mean_part_fraction`` (mean visible part area / visible object area);
        with the COCO layout also ``layout``.

    Raises:
        ValueError: a number is out of range, the layout is unknown, or a
            class subset or the parts regime is asked of the COCO layout.
    """
    for name, value, minimum in (
        ('num_train', num_train, 1),
        ('num_val', num_val, 1),
        ('size', size, 64),
        ('seed', seed, 0),
    ):
        if value < minimum:
            raise ValueError(f'{name} must be >= {minimum}, got {value}')
    if not isinstance(style, SyntheticStyle):
        raise TypeError(f'style must be a SyntheticStyle, got {type(style).__name__}')
    if layout not in LAYOUTS:
        raise ValueError(f'layout must be one of {LAYOUTS}, got {layout!r}')
    if layout == 'coco' and style.classes is not None:
        raise ValueError('style.classes selects VOC classes: it is not available with layout coco')
    if layout == 'coco' and style.regime != 'default':
        raise ValueError(
            f'style.regime {style.regime!r} is VOC-only: the COCO layout tells the 4 classes '
            'that share a part apart by their body shape'
        )
    class_names = VOC_CLASSES if layout == 'voc' else COCO_CLASSES
    num_classes = len(class_names) - 1
    splits, lists = _plan(out_dir, layout, num_train, num_val)
    folders = {f for plan in splits.values() for f in (plan.image_dir, plan.mask_dir)}
    for folder in sorted(folders | {osp.dirname(path) for path in lists}):
        os.makedirs(folder, exist_ok=True)
    palette = voc_palette()
    counts = np.zeros(num_classes + 1, np.int64)
    part_fractions = []
    for split_index, plan in enumerate(splits.values()):
        schedule = class_schedule(
            np.random.default_rng([seed, split_index, 1]), len(plan.ids), style
        )
        if layout == 'coco':
            schedule = coco_schedule(np.random.default_rng([seed, split_index, 2]), schedule)
        for j, (image_id, classes) in enumerate(zip(plan.ids, schedule)):
            sample = render_sample(
                np.random.default_rng([seed, split_index, 0, j]), size, classes, style, layout
            )
            _save_image(osp.join(plan.image_dir, f'{image_id}.jpg'), sample.image)
            _save_mask(osp.join(plan.mask_dir, f'{image_id}.png'), sample.label, palette)
            np.add.at(counts, sample.classes, 1)
            part_fractions += [
                p.sum() / m.sum() for p, m in zip(sample.part_masks, sample.object_masks)
            ]
    for path, ids in lists.items():
        _write_text(path, ''.join(f'{i}\n' for i in ids))
    keep = {
        osp.join(folder, f'{i}.{ext}')
        for plan in splits.values()
        for i in plan.ids
        for folder, ext in ((plan.image_dir, 'jpg'), (plan.mask_dir, 'png'))
    }
    for folder in sorted(folders):
        for name in os.listdir(folder):
            path = osp.join(folder, name)
            if _STALE_FILE[layout].match(name) and path not in keep:
                os.remove(path)
    total = int(counts.sum())
    summary = {
        'num_train': num_train,
        'num_val': num_val,
        'size': size,
        'seed': seed,
        'style': style.to_dict(),
        'num_objects': total,
        'class_counts': {class_names[c]: int(counts[c]) for c in range(1, num_classes + 1)},
        'class_frequencies': {
            class_names[c]: round(float(counts[c]) / max(total, 1), 4)
            for c in range(1, num_classes + 1)
        },
        'mean_part_fraction': round(float(np.mean(part_fractions)), 4) if total else 0.0,
    }
    if layout != 'voc':
        summary['layout'] = layout
    _write_text(osp.join(out_dir, MARKER_FILE), json.dumps(summary, indent=2) + '\n')
    return summary
