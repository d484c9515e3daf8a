"""Where the files of a data root live and what its class ids mean: the VOC
2012 (+ SBD) layout or the COCO 2014 WSSS layout, told apart by the root's
folders. The stages that take a data root rather than a config (evaluating
CAMs, writing label maps) read their image folders, mask folders, class names
and palette from here; the datasets' ``METAINFO`` holds the same names and
colours."""

import os.path as osp
from dataclasses import dataclass
from typing import List, Sequence, Tuple

from . import coco_layout, voc_layout


@dataclass(frozen=True)
class DataLayout:
    """One dataset layout.

    Attributes:
        name (str): ``'voc'`` or ``'coco'``.
        classes (tuple[str, ...]): K class names, background first (id 0).
        palette (tuple[tuple[int, int, int], ...]): (K, 3) RGB colour of each id.
        img_dirs (tuple[str, ...]): image folders relative to the root,
            searched in order.
        mask_dirs (tuple[str, ...]): ground-truth mask folders relative to the
            root, searched in order.
        train_split (str): the split whose CAMs are evaluated by default.
        val_split (str): the validation split.
    """

    name: str
    classes: Tuple[str, ...]
    palette: Tuple[Tuple[int, int, int], ...]
    img_dirs: Tuple[str, ...]
    mask_dirs: Tuple[str, ...]
    train_split: str
    val_split: str

    def image_path(self, data_root: str, img_id: str, suffix: str = '.jpg') -> str:
        """``<data_root>/<img_dir>/<img_id><suffix>`` in the first image folder
        that holds it (the first folder's path if none does)."""
        paths = [osp.join(data_root, d, img_id + suffix) for d in self.img_dirs]
        return next((p for p in paths if osp.isfile(p)), paths[0])

    def gt_mask_dirs(self, data_root: str) -> List[str]:
        """The folders searched for ``<img_id>.png`` ground-truth masks, in order."""
        return [osp.join(data_root, d) for d in self.mask_dirs]

    def flat_palette(self) -> List[int]:
        """The palette as the flat 768-entry list PIL's ``putpalette`` takes
        (id 255, ignore, in VOC's cream)."""
        flat = [c for rgb in self.palette for c in rgb]
        return flat + [0] * (768 - len(flat) - 3) + [224, 224, 192]


def _palette(colours: Sequence[Sequence[int]]) -> Tuple[Tuple[int, int, int], ...]:
    return tuple(tuple(int(c) for c in rgb) for rgb in colours)


VOC_LAYOUT = DataLayout(
    name='voc',
    classes=voc_layout.VOC_CLASSES,
    palette=_palette(voc_layout.VOC_PALETTE),
    img_dirs=(voc_layout.IMG_DIR,),
    mask_dirs=voc_layout.MASK_DIRS,
    train_split='ImageSets/Segmentation/train.txt',
    val_split='ImageSets/Segmentation/val.txt',
)
COCO_LAYOUT = DataLayout(
    name='coco',
    classes=coco_layout.COCO_CLASSES,
    palette=_palette(coco_layout.COCO_PALETTE),
    img_dirs=coco_layout.IMG_DIRS,
    mask_dirs=coco_layout.MASK_DIRS,
    train_split=coco_layout.TRAIN_SPLIT,
    val_split=coco_layout.VAL_SPLIT,
)


def detect_layout(data_root: str) -> DataLayout:
    """The layout of a data root: COCO 2014 where it has a ``train2014`` or
    ``val2014`` image or mask folder, else VOC.

    Args:
        data_root (str): the root (need not exist: then VOC).
    """
    folders = coco_layout.IMG_DIRS + coco_layout.MASK_DIRS
    if any(osp.isdir(osp.join(data_root, d)) for d in folders):
        return COCO_LAYOUT
    return VOC_LAYOUT
