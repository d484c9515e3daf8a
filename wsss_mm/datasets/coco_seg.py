"""COCO 2014 images with per-pixel label maps, for segmentation training and testing."""

from wsss_mm.registry import DATASETS

from .coco_layout import COCO_CLASSES, COCO_PALETTE, IMG_DIRS, MASK_DIRS, VAL_SPLIT
from .pseudo_mask_dataset import PseudoMaskDataset


@DATASETS.register_module()
class COCOSegDataset(PseudoMaskDataset):
    """The images of a COCO 2014 split with the label maps of one folder as
    ``gt_seg_map``, in the 81 class ids of :data:`COCO_CLASSES` (0 =
    background, 255 = ignore): by default the ground truth of val (DeepLab's
    test); with ``mask_dir`` the pseudo masks of a train split (DeepLab's or
    AffinityNet's training). mmseg's ``LoadImageFromFile`` /
    ``LoadAnnotations`` read it as well as ``LoadImage`` / ``LoadMask``.

    Each data info holds ``img_id``, ``img_path`` and ``seg_map_path``.

    Args:
        ann_file (str): split file relative to ``data_root`` (or absolute).
        mask_dir (str): the label-map folder, relative to ``data_root`` or
            absolute.
        img_dir (str): image folder relative to ``data_root``.
        **kwargs: passed to :class:`PseudoMaskDataset`.
    """

    METAINFO = dict(classes=COCO_CLASSES, palette=COCO_PALETTE)

    def __init__(
        self,
        ann_file: str = VAL_SPLIT,
        mask_dir: str = MASK_DIRS[1],
        img_dir: str = IMG_DIRS[1],
        **kwargs,
    ) -> None:
        super().__init__(ann_file=ann_file, mask_dir=mask_dir, img_dir=img_dir, **kwargs)
