"""PASCAL VOC 2012 with image-level labels, for training CAM networks."""

import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.logging import print_log
from mmseg.datasets import BaseSegDataset

from wsss_mm.registry import DATASETS
from wsss_mm.utils.io import read_split

from .label_cache import multi_hot, read_label_cache, write_label_cache
from .voc_layout import MASK_DIRS, VOC_CLASSES, VOC_PALETTE, find_mask, labels_from_masks


@DATASETS.register_module()
class VOCClsDataset(BaseSegDataset):
    """VOC 2012 (+ SBD ``SegmentationClassAug``) with multi-hot image labels.

    The labels of an image are the foreground classes present in its mask
    (ignoring 0 = background and 255 = ignore), the field's convention. Each
    mask is looked up in the folders of ``mask_dirs`` in order, so the 1,464
    VOC train masks and the 10,582 ``train_aug`` SBD masks both work.

    Each data info holds ``img_path``, ``seg_map_path``, ``img_id`` and
    ``gt_labels`` ((C,) float32 multi-hot, C = the foreground classes of the
    metainfo: 20 for VOC).

    Args:
        ann_file (str): split file, one image id per line, relative to
            ``data_root``.
        mask_dirs (Sequence[str]): mask folders relative to ``data_root``,
            searched in order.
        img_dir (str): image folder relative to ``data_root``.
        filter_empty_labels (bool): drop images whose mask holds no
            foreground class (for classification training; the count is
            logged). Default: False.
        label_cache (str, optional): a JSON label cache relative to
            ``data_root`` (e.g. ``'cls_labels.json'``, IRN's ``cls_labels``
            convention). The labels of the images it holds are read from it
            and their masks are neither looked up nor opened (the data infos
            then carry no ``seg_map_path``); the labels of the others are
            derived from their masks once and added to it. None: always from
            the masks. Default: None.
        **kwargs: passed to :class:`mmseg.datasets.BaseSegDataset`.
    """

    METAINFO = dict(classes=VOC_CLASSES, palette=VOC_PALETTE)

    def __init__(
        self,
        ann_file: str = 'ImageSets/Segmentation/train.txt',
        mask_dirs: Sequence[str] = MASK_DIRS,
        img_dir: str = 'JPEGImages',
        img_suffix: str = '.jpg',
        seg_map_suffix: str = '.png',
        filter_empty_labels: bool = False,
        label_cache: Optional[str] = None,
        **kwargs,
    ) -> None:
        self.mask_dirs = tuple(mask_dirs)
        self.label_cache = label_cache
        self.img_dir = img_dir
        self.filter_empty_labels = filter_empty_labels
        super().__init__(
            ann_file=ann_file,
            img_suffix=img_suffix,
            seg_map_suffix=seg_map_suffix,
            data_prefix=dict(img_path=img_dir),
            **kwargs,
        )

    @property
    def num_fg_classes(self) -> int:
        """C, the number of foreground classes."""
        return len(self.metainfo['classes']) - 1

    def load_data_list(self) -> List[dict]:
        """Reads the split, checks every file and derives the labels (from
        the label cache where it has them)."""
        root = self.data_root or ''
        if root and not osp.isdir(root):
            raise FileNotFoundError(f'data root not found: {root}')
        ids = read_split(self.ann_file)
        img_dir = self.data_prefix['img_path']
        mask_dirs = [osp.join(root, d) for d in self.mask_dirs]
        fg_classes = self.metainfo['classes'][1:]
        cache_path = osp.join(root, self.label_cache) if self.label_cache else None
        cached = read_label_cache(cache_path, fg_classes) if cache_path else {}
        img_paths, mask_paths = [], {}
        for img_id in ids:
            img_path = osp.join(img_dir, img_id + self.img_suffix)
            if not osp.isfile(img_path):
                raise FileNotFoundError(
                    f'image {img_path} listed in {self.ann_file} does not exist'
                )
            img_paths.append(img_path)
            if img_id in cached:
                continue
            mask_path = find_mask(mask_dirs, img_id, self.seg_map_suffix)
            if mask_path is None:
                raise FileNotFoundError(
                    f'image {img_path} has no mask: looked for {img_id}'
                    f'{self.seg_map_suffix} in {mask_dirs}'
                    + (f' (nor an entry in the label cache {cache_path})' if cache_path else '')
                )
            mask_paths[img_id] = mask_path
        derived = labels_from_masks(list(mask_paths.values()), self.num_fg_classes)
        new = {i: (np.flatnonzero(lab) + 1).tolist() for i, lab in zip(mask_paths, derived)}
        if cache_path and new:
            write_label_cache(cache_path, fg_classes, {**cached, **new})
        data_list = []
        for img_id, img_path in zip(ids, img_paths):
            indices = cached[img_id] if img_id in cached else new[img_id]
            label = multi_hot(indices, self.num_fg_classes)
            if self.filter_empty_labels and not label.any():
                continue
            data_list.append(
                dict(
                    img_id=img_id,
                    img_path=img_path,
                    seg_map_path=mask_paths.get(img_id),
                    gt_labels=label,
                    label_map=self.label_map,
                    reduce_zero_label=False,
                    seg_fields=[],
                )
            )
        skipped = len(ids) - len(data_list)
        if skipped:
            print_log(
                f'{type(self).__name__}: skipped {skipped} of {len(ids)} '
                f'images of {self.ann_file} with no foreground class',
                logger='current',
            )
        return data_list
