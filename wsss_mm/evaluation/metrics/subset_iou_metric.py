"""mIoU on subsets of the test set by scene complexity (SegMix, Islam et al.,
Tables 3 and 4, Fig. 5), as an MMEngine metric."""

import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from mmseg.evaluation.metrics import IoUMetric
from prettytable import PrettyTable

from wsss_mm.registry import METRICS
from wsss_mm.utils.io import read_mask

from ..cooccurrence import load_cooccurrence
from ..subsets import DEFAULT_COOC_THRESHOLDS, image_subsets, partner_classes, subset_order

#: one image's result: (intersect, union, pred, label) areas, each (K,) float64,
#: its subset names, and whether its objects came from an instance mask
ImageResult = Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, List[str], bool]


@METRICS.register_module()
class SubsetIoUMetric(BaseMetric):
    """mIoU of the whole test set and of each of its scene-complexity subsets.

    The subsets (:mod:`wsss_mm.evaluation.subsets` states the rules): occlusion
    (``1-Occ``, ``All-Occ``), number of objects (``1-Obj`` .. ``4-Obj``,
    ``5+-Obj``), number of foreground classes (``1-Cls`` .. ``4-Cls``,
    ``5+-Cls``) as in Table 3; with a co-occurrence file also Fig. 5's
    ``cooc<T>`` and Table 4's ``<anchor>+<cls>`` / ``only-<cls>`` for the
    ``num_partner_classes`` classes that co-occur most with ``anchor_class``.

    A subset's mIoU sums the intersect and union areas
    (``IoUMetric.intersect_and_union``) over its images and averages the
    per-class IoU over the classes whose union is not empty, as mmseg's
    ``IoUMetric`` does for the whole set; Table 4's subsets report the IoU of
    their class only.

    Objects come from the instance mask ``<instance_dir>/<stem>.png``, by
    default the ``SegmentationObject`` folder beside the ground truth's folder
    (``<root>/SegmentationClass/<id>.png`` -> ``<root>/SegmentationObject/<id>.png``);
    an image without one uses the connected components of its ground truth.

    Each data sample carries ``pred_sem_seg`` and ``gt_sem_seg`` (``PixelData``
    of (1, H, W) class ids) and ``seg_map_path``; class names come from
    ``dataset_meta['classes']``.

    Args:
        cooccurrence (str, optional): the training set's co-occurrence file
            (:mod:`wsss_mm.evaluation.cooccurrence`); None: no ``cooc<T>`` and
            no Table 4 subsets.
        thresholds (Sequence[float]): Fig. 5's thresholds. Default:
            (50, 40, 30, 20, 10).
        anchor_class (str): Table 4's anchor class name. Default: 'person'.
        num_partner_classes (int): Table 4's classes. Default: 5.
        instance_dir (str, optional): the instance masks' folder (default:
            beside the ground truth, see above).
        use_instances (bool): False: always connected components.
        min_object_pixels (int): smaller objects are left out. Default: 10.
        touch_distance (int): ignore pixels two touching objects may be
            apart (:func:`wsss_mm.evaluation.subsets.touching_pairs`). Default: 5.
        keep_single_class (bool): single-class images are in every
            ``cooc<T>`` subset. Default: True.
        background_index (int): the background class id. Default: 0.
        ignore_index (int): ground-truth value left out. Default: 255.
        collect_device (str): ``'cpu'`` or ``'gpu'``, where results are gathered.
        prefix (str, optional): prefix of the metric names.

    Raises:
        FileNotFoundError / ValueError: the co-occurrence file is missing or
            not a square matrix (at construction), or its size differs from
            the number of classes (at the first image).
    """

    def __init__(
        self,
        cooccurrence: Optional[str] = None,
        thresholds: Sequence[float] = DEFAULT_COOC_THRESHOLDS,
        anchor_class: str = 'person',
        num_partner_classes: int = 5,
        instance_dir: Optional[str] = None,
        use_instances: bool = True,
        min_object_pixels: int = 10,
        touch_distance: int = 5,
        keep_single_class: bool = True,
        background_index: int = 0,
        ignore_index: int = 255,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.cooccurrence_path = cooccurrence
        self.cooccurrence = None if cooccurrence is None else load_cooccurrence(cooccurrence)
        self.thresholds = tuple(thresholds)
        self.anchor_class = anchor_class
        self.num_partner_classes = num_partner_classes
        self.instance_dir = instance_dir
        self.use_instances = use_instances
        self.min_object_pixels = min_object_pixels
        self.touch_distance = touch_distance
        self.keep_single_class = keep_single_class
        self.background_index = background_index
        self.ignore_index = ignore_index

    @property
    def classes(self) -> List[str]:
        """The dataset's class names (``dataset_meta['classes']``)."""
        classes = (self.dataset_meta or {}).get('classes')
        if classes is None:
            raise ValueError("SubsetIoUMetric needs dataset_meta['classes'] (the class names)")
        return list(classes)

    def _partners(self) -> Tuple[Optional[int], List[int]]:
        """Table 4's anchor id and partner ids (None, [] without a co-occurrence
        file).

        Raises:
            ValueError: the file's size is not the number of classes, or the
                anchor class is not one of them.
        """
        if self.cooccurrence is None:
            return None, []
        classes = self.classes
        if len(self.cooccurrence) != len(classes):
            raise ValueError(
                f'{self.cooccurrence_path} is {len(self.cooccurrence)}x'
                f'{len(self.cooccurrence)} but the dataset has {len(classes)} classes'
            )
        if self.anchor_class not in classes:
            raise ValueError(
                f'anchor_class {self.anchor_class!r} is not a class of the dataset ({classes})'
            )
        anchor = classes.index(self.anchor_class)
        return anchor, partner_classes(
            self.cooccurrence, anchor, self.num_partner_classes, self.background_index
        )

    def instance_path(self, seg_map_path: str) -> str:
        """The instance mask of the ground truth at ``seg_map_path``."""
        stem = osp.splitext(osp.basename(seg_map_path))[0]
        folder = self.instance_dir or osp.join(
            osp.dirname(osp.dirname(seg_map_path)), 'SegmentationObject'
        )
        return osp.join(folder, stem + '.png')

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Adds each image's areas and subset names to ``self.results``.

        Raises:
            ValueError: an instance mask and the ground truth differ in size.
        """
        num_classes = len(self.classes)
        anchor, partners = self._partners()
        for sample in data_samples:
            pred = sample['pred_sem_seg']['data'].squeeze()
            label = sample['gt_sem_seg']['data'].squeeze().to(pred)
            areas = IoUMetric.intersect_and_union(pred, label, num_classes, self.ignore_index)
            semantic = label.cpu().numpy()
            instance = None
            seg_map_path = sample.get('seg_map_path')
            if self.use_instances and seg_map_path:
                path = self.instance_path(seg_map_path)
                if osp.isfile(path):
                    instance = read_mask(path)
                    if instance.shape != semantic.shape:
                        raise ValueError(
                            f'{path} is {instance.shape[0]}x{instance.shape[1]} but the '
                            f'ground truth {seg_map_path} is '
                            f'{semantic.shape[0]}x{semantic.shape[1]}'
                        )
            subsets = image_subsets(
                semantic,
                instance,
                self.cooccurrence,
                self.thresholds,
                anchor,
                partners,
                self.classes,
                self.background_index,
                self.ignore_index,
                self.min_object_pixels,
                self.touch_distance,
                self.keep_single_class,
            )
            self.results.append(
                (*(a.numpy().astype(np.float64) for a in areas), subsets, instance is not None)
            )

    def compute_metrics(self, results: List[ImageResult]) -> Dict[str, float]:
        """Sums the areas of the whole set and of each subset.

        Returns:
            dict: ``mIoU`` (percent, the whole set), ``<subset>/mIoU`` and
            ``<subset>/num_images`` for each subset (an empty subset has only
            ``num_images`` = 0), and for Table 4 ``<anchor>+<cls>/IoU``,
            ``only-<cls>/IoU`` (the IoU of ``cls``) with their ``num_images``.
        """
        classes = self.classes
        anchor, partners = self._partners()
        groups = subset_order(self.thresholds, [(classes[anchor], classes[c]) for c in partners])
        if self.cooccurrence is None:
            print_log(
                'SubsetIoUMetric: no co-occurrence file, the cooc<T> (Fig. 5) and '
                f'{self.anchor_class}+<class> / only-<class> (Table 4) subsets are skipped',
                logger='current',
            )
        with_instances = sum(r[5] for r in results)
        print_log(
            f'SubsetIoUMetric: objects of {with_instances} of {len(results)} images from '
            'instance masks, the others from connected components of the ground truth',
            logger='current',
        )
        metrics = {'mIoU': self._class_iou(results)[0]}
        rows = []
        table_groups = ['occlusion', 'objects', 'classes']
        if self.cooccurrence is not None:
            table_groups.append('cooccurrence')
        for group in table_groups:
            for name in groups[group]:
                members = [r for r in results if name in r[4]]
                metrics[f'{name}/num_images'] = len(members)
                if members:
                    metrics[f'{name}/mIoU'] = self._class_iou(members)[0]
                rows.append((name, len(members), metrics.get(f'{name}/mIoU')))
        pair_rows = []
        for cls, both, only in zip(partners, groups['anchor'], groups['only']):
            row = [classes[cls]]
            for name in (both, only):
                members = [r for r in results if name in r[4]]
                metrics[f'{name}/num_images'] = len(members)
                iou = self._class_iou(members)[1][cls] if members else np.nan
                if not np.isnan(iou):
                    metrics[f'{name}/IoU'] = float(iou)
                row += [len(members), metrics.get(f'{name}/IoU')]
            pair_rows.append(row)
        self._log_tables(metrics['mIoU'], len(results), rows, pair_rows)
        return metrics

    @staticmethod
    def _class_iou(results: List[ImageResult]) -> Tuple[float, np.ndarray]:
        """(mIoU, per-class IoU), percent rounded to 2 decimals as mmseg's
        ``IoUMetric``; classes with an empty union are NaN and left out."""
        totals = [torch.from_numpy(sum(r[i] for r in results)) for i in range(4)]
        with np.errstate(divide='ignore', invalid='ignore'):
            iou = IoUMetric.total_area_to_metrics(*totals, metrics=['mIoU'])['IoU']
        return float(np.round(np.nanmean(iou) * 100, 2)), np.round(iou * 100, 2)

    def _log_tables(
        self, miou: float, num_images: int, rows: List[tuple], pair_rows: List[list]
    ) -> None:
        """Logs Table 3 / Fig. 5 (subset, images, mIoU) and Table 4."""

        def fmt(value: Optional[float]) -> str:
            return '-' if value is None else f'{value:.2f}'

        table = PrettyTable(['subset', 'images', 'mIoU'])
        table.add_row(['all', num_images, fmt(miou)])
        for name, count, value in rows:
            table.add_row([name, count, fmt(value)])
        text = 'mIoU per subset (SegMix Table 3, Fig. 5):\n' + table.get_string()
        if pair_rows:
            anchor = self.anchor_class
            pairs = PrettyTable(
                ['class', f'{anchor}+ images', f'{anchor}+ IoU', 'only images', 'only IoU']
            )
            for name, both, both_iou, only, only_iou in pair_rows:
                pairs.add_row([name, both, fmt(both_iou), only, fmt(only_iou)])
            text += (
                f'\nIoU of the classes that co-occur most with {anchor} (SegMix Table 4):\n'
                + pairs.get_string()
            )
        print_log(text, logger='current')
