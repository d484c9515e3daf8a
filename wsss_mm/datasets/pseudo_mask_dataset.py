"""Segmentation training on label maps made from CAMs, in place of ground truth."""

import os.path as osp
from typing import List

from mmseg.datasets import BaseSegDataset

from wsss_mm.registry import DATASETS
from wsss_mm.utils.io import read_split

from .voc_layout import IMG_DIR, VOC_CLASSES, VOC_PALETTE


@DATASETS.register_module()
class PseudoMaskDataset(BaseSegDataset):
    """Images of a split with the label maps of one folder as ``gt_seg_map``.

    The label maps are the pseudo masks of ``tools/make_pseudo_labels.py``
    (for DeepLab) or the affinity labels of ``tools/make_affinity_labels.py``
    (for AffinityNet): ``<mask_dir>/<image_id>.png``, VOC palette PNGs of
    class ids, 255 = ignore (:mod:`wsss_mm.refine.pseudo_labels`). Load them
    with ``LoadImage`` + ``LoadMask``, which check that sizes agree.

    Each data info holds ``img_id``, ``img_path`` and ``seg_map_path``.

    Args:
        ann_file (str): split file, one image id per line, relative to
            ``data_root`` (or absolute).
        mask_dir (str): the label-map folder, relative to ``data_root`` or
            absolute.
        img_dir (str): image folder relative to ``data_root``.
        **kwargs: passed to :class:`mmseg.datasets.BaseSegDataset`.

    Raises:
        FileNotFoundError: the data root, the mask folder, an image or some
            label maps are missing (the message names which).
    """

    METAINFO = dict(classes=VOC_CLASSES, palette=VOC_PALETTE)

    def __init__(
        self,
        ann_file: str = 'ImageSets/Segmentation/train_aug.txt',
        mask_dir: str = 'pseudo_masks',
        img_dir: str = IMG_DIR,
        img_suffix: str = '.jpg',
        seg_map_suffix: str = '.png',
        **kwargs,
    ) -> None:
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=dict(img_path=img_dir, seg_map_path=mask_dir),
            **kwargs,
        )

    def load_data_list(self) -> List[dict]:
        """Reads the split and checks that every image and label map exists."""
        if self.data_root and not osp.isdir(self.data_root):
            raise FileNotFoundError(f'data root not found: {self.data_root}')
        mask_dir = self.data_prefix['seg_map_path']
        if not osp.isdir(mask_dir):
            raise FileNotFoundError(f'label-map folder not found: {mask_dir}')
        ids = read_split(self.ann_file)
        img_dir = self.data_prefix['img_path']
        data_list, missing = [], []
        for img_id in ids:
            img_path = osp.join(img_dir, img_id + self.img_suffix)
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'image {img_path} listed in {self.ann_file} does not exist'
                )
            mask_path = osp.join(mask_dir, img_id + self.seg_map_suffix)
            if not osp.isfile(mask_path):
                missing.append(img_id)
            data_list.append(
                dict(
                    img_id=img_id,
                    img_path=img_path,
                    seg_map_path=mask_path,
                    label_map=self.label_map,
                    reduce_zero_label=False,
                    seg_fields=[],
                )
            )
        if missing:
            raise FileNotFoundError(
                f'{len(missing)} of {len(ids)} images of {self.ann_file} have no label map '
                f'in {mask_dir}, e.g. {missing[:5]}; run tools/make_pseudo_labels.py '
                '(or tools/make_affinity_labels.py) first'
            )
        return data_list
