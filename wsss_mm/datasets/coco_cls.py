"""COCO 2014 with image-level labels (the WSSS layout), for training CAM networks."""

from typing import Optional, Sequence

from wsss_mm.registry import DATASETS

from .coco_layout import COCO_CLASSES, COCO_PALETTE, IMG_DIRS, MASK_DIRS, TRAIN_SPLIT
from .voc_cls import VOCClsDataset


@DATASETS.register_module()
class COCOClsDataset(VOCClsDataset):
    """COCO 2014 in the field's WSSS layout (:mod:`wsss_mm.datasets.coco_layout`)
    with multi-hot image labels: the 80 categories present in each image's
    semantic mask (0 = background and 255 = ignore left out), as
    :class:`VOCClsDataset` derives VOC's.

    Each data info holds ``img_path``, ``seg_map_path``, ``img_id`` and
    ``gt_labels`` ((80,) float32 multi-hot; class id c at index c - 1).

    Args:
        ann_file (str): split file, one image id per line (e.g.
            ``COCO_train2014_000000000009``), relative to ``data_root``.
        img_dir (str): image folder relative to ``data_root``
            (``train2014`` or ``val2014``).
        mask_dirs (Sequence[str]): mask folders relative to ``data_root``,
            searched in order.
        label_cache (str, optional): a JSON label cache relative to
            ``data_root`` (e.g. ``'cls_labels_train.json'``; see
            :class:`VOCClsDataset`). Default: None.
        **kwargs: passed to :class:`VOCClsDataset` (``filter_empty_labels``,
            ``pipeline``, ...).
    """

    METAINFO = dict(classes=COCO_CLASSES, palette=COCO_PALETTE)

    def __init__(
        self,
        ann_file: str = TRAIN_SPLIT,
        img_dir: str = IMG_DIRS[0],
        mask_dirs: Sequence[str] = MASK_DIRS,
        label_cache: Optional[str] = None,
        **kwargs,
    ) -> None:
        super().__init__(
            ann_file=ann_file,
            mask_dirs=mask_dirs,
            img_dir=img_dir,
            label_cache=label_cache,
            **kwargs,
        )
