"""Seed (CAM) mIoU as an MMEngine metric: the background-threshold sweep of
``tools/eval_cams.py`` on the CAMs a test or validation loop computes."""

from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np
import torch
from mmengine.evaluator import BaseMetric
from mmengine.logging import print_log
from prettytable import PrettyTable

from wsss_mm.registry import METRICS

from ..seed_miou import DEFAULT_THRESHOLDS, ThresholdSweep

#: one image's result: K, then the sweep's and the floor's histograms as
#: (flat indices, counts) of their nonzero bins
ImageResult = Tuple[int, np.ndarray, np.ndarray, np.ndarray, np.ndarray]


def _array(value: Union[dict, torch.Tensor, np.ndarray]) -> np.ndarray:
    """A data sample field as a numpy array: a tensor, or a ``PixelData``
    converted to a dict by the evaluator (its ``data``)."""
    if isinstance(value, dict):
        value = value['data']
    return value.detach().cpu().numpy() if isinstance(value, torch.Tensor) else np.asarray(value)


def _sparse(hist: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(flat indices, counts) of the nonzero bins of a histogram."""
    index = np.flatnonzero(hist)
    return index, hist.reshape(-1)[index]


@METRICS.register_module()
class SeedMIoUMetric(BaseMetric):
    """mIoU of CAM seeds over a sweep of background thresholds, and of the floor.

    For each threshold t a pixel is background where every present class's map
    is <= t, else the class of the largest map (:class:`ThresholdSweep`); the
    metric is the best threshold's mIoU, as ``tools/eval_cams.py`` reports it
    from CAM files. The floor gives every present class a constant map (the
    labels alone, no localisation), swept over the same thresholds.

    Each data sample carries ``pred_cams`` ((C, H, W) float maps in [0, 1] at
    the ground truth's size, a tensor or ``PixelData``; what
    :class:`wsss_mm.cams.CAMInferenceModel` returns), ``gt_labels`` ((C,)
    multi-hot: the present classes, ids ``index + 1``) and ``gt_sem_seg``
    (``PixelData`` of (1, H, W) class ids, ``ignore_index`` ignored). The maps
    of absent classes are not read.

    Each image's result is its two confusion histograms, kept sparse, so the
    results that distributed evaluation gathers from every rank are small and
    their sum is the whole split's histogram.

    Args:
        thresholds (Sequence[float]): increasing background thresholds.
            Default: 0.01 .. 0.95 by 0.01 (``tools/eval_cams.py``'s).
        ignore_index (int): ground-truth value left out. Default: 255.
        collect_device (str): ``'cpu'`` or ``'gpu'``, where results are gathered.
        prefix (str, optional): prefix of the metric names.
    """

    def __init__(
        self,
        thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
        ignore_index: int = 255,
        collect_device: str = 'cpu',
        prefix: Optional[str] = None,
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        ThresholdSweep(thresholds, 2)  # checks the thresholds now, not at the first image
        self.thresholds = tuple(float(t) for t in thresholds)
        self.ignore_index = ignore_index

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        """Adds each image's sweep and floor histograms to ``self.results``.

        Raises:
            ValueError: the maps and the ground truth differ in size.
        """
        for sample in data_samples:
            gt = _array(sample['gt_sem_seg'])
            gt = gt.reshape(gt.shape[-2:])
            labels = _array(sample['gt_labels'])
            cams = _array(sample['pred_cams'])
            if cams.shape[-2:] != gt.shape:
                name = sample.get('img_id', sample.get('img_path', 'an image'))
                raise ValueError(
                    f'{name}: pred_cams are {cams.shape[-2]}x{cams.shape[-1]} '
                    f'but its ground truth is {gt.shape[0]}x{gt.shape[1]}'
                )
            present = np.flatnonzero(labels)
            keys, maps = present + 1, cams[present].astype(np.float32)
            num_classes = len(labels) + 1
            sweep = ThresholdSweep(self.thresholds, num_classes, self.ignore_index)
            floor = ThresholdSweep(self.thresholds, num_classes, self.ignore_index)
            sweep.update(gt, keys, maps)
            floor.update(gt, keys, np.ones_like(maps))
            self.results.append((num_classes, *_sparse(sweep.hist), *_sparse(floor.hist)))

    def compute_metrics(self, results: List[ImageResult]) -> Dict[str, float]:
        """Sums the images' histograms and sweeps the thresholds.

        Returns:
            dict: ``seed_mIoU`` and ``floor_mIoU`` (percent) at their best
            background thresholds ``seed_threshold`` and ``floor_threshold``.
        """
        num_classes = results[0][0]
        sweep = ThresholdSweep(self.thresholds, num_classes, self.ignore_index)
        floor = ThresholdSweep(self.thresholds, num_classes, self.ignore_index)
        for _, index, counts, floor_index, floor_counts in results:
            sweep.hist.reshape(-1)[index] += counts
            floor.hist.reshape(-1)[floor_index] += floor_counts
        seeds, uniform = sweep.result(), floor.result()
        self._log_table(seeds, uniform)
        return dict(
            seed_mIoU=seeds['miou'],
            seed_threshold=seeds['threshold'],
            floor_mIoU=uniform['miou'],
            floor_threshold=uniform['threshold'],
        )

    def _log_table(self, seeds: dict, floor: dict) -> None:
        """Logs the per-class IoU (%) of the seeds and of the floor."""
        names = (self.dataset_meta or {}).get('classes')
        if names is None or len(names) != len(seeds['class_iou']):
            names = [str(i) for i in range(len(seeds['class_iou']))]
        table = PrettyTable(['class', 'seed IoU', 'floor IoU'])
        for name, seed_iou, floor_iou in zip(names, seeds['class_iou'], floor['class_iou']):
            table.add_row([name, f'{seed_iou:.2f}', f'{floor_iou:.2f}'])
        print_log(
            'per-class seed IoU at the best background thresholds '
            f'({seeds["threshold"]:.2f} / floor {floor["threshold"]:.2f}):\n' + table.get_string(),
            logger='current',
        )
