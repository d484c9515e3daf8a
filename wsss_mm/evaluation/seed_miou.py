"""Seed (CAM) quality: mIoU over a sweep of background thresholds.

For a threshold t the background score is t and each pixel takes the argmax
over [t, cam_1..cam_n] (IRN's ``eval_cam``): background where every present
class's map is <= t, else the class of the largest map.
"""

from typing import Dict, Sequence

import numpy as np

from .iou import iou_from_confusion

#: 0.01 .. 0.95 by 0.01: CAMs whose seeds are best below 0.05 (the quickstart's) and
#: walked scores between grid points of a 0.05 step are not cut off.
DEFAULT_THRESHOLDS = tuple(np.round(np.arange(0.01, 0.955, 0.01), 2))


class ThresholdSweep:
    """Accumulates one confusion matrix per background threshold in one pass.

    Per image, each pixel is binned by how many thresholds lie below its
    largest foreground score; one ``bincount`` over (gt, fg class, bin) then
    gives every threshold's confusion matrix through cumulative sums.

    Args:
        thresholds (Sequence[float]): increasing background thresholds (T,).
        num_classes (int): K, including background (21 for VOC).
        ignore_index (int): ground-truth value left out. Default: 255.
    """

    def __init__(
        self, thresholds: Sequence[float], num_classes: int, ignore_index: int = 255
    ) -> None:
        self.thresholds = np.asarray(thresholds, dtype=np.float64)
        if (
            self.thresholds.ndim != 1
            or len(self.thresholds) == 0
            or np.any(np.diff(self.thresholds) <= 0)
        ):
            raise ValueError(f'thresholds must be increasing, got {thresholds}')
        self.num_classes = num_classes
        self.ignore_index = ignore_index
        k, t = num_classes, len(self.thresholds)
        # hist[gt, fg class, bin]: bin b = number of thresholds strictly below the score
        self.hist = np.zeros((k, k, t + 1), dtype=np.int64)

    def update(self, gt: np.ndarray, keys: np.ndarray, cam: np.ndarray) -> None:
        """
        Args:
            gt (np.ndarray): (H, W) class ids, ``ignore_index`` ignored.
            keys (np.ndarray): (n,) class ids 1..K-1 of the maps.
            cam (np.ndarray): (n, H, W) scores in [0, 1].
        """
        k, t = self.num_classes, len(self.thresholds)
        if len(keys) and (np.min(keys) < 1 or np.max(keys) >= k):
            raise ValueError(f'CAM keys {list(keys)} must be class ids in 1..{k - 1}')
        valid = gt != self.ignore_index
        gt = gt[valid].astype(np.int64)
        if len(keys) == 0:
            fg_cls = np.zeros_like(gt)
            bins = np.zeros_like(gt)
        else:
            scores = cam[:, valid]
            fg_cls = np.asarray(keys, dtype=np.int64)[scores.argmax(0)]
            bins = np.searchsorted(self.thresholds, scores.max(0), side='left')
        index = (gt * k + fg_cls) * (t + 1) + bins
        self.hist += np.bincount(index, minlength=k * k * (t + 1)).reshape(k, k, t + 1)

    def confusions(self) -> np.ndarray:
        """(T, K, K) confusion matrix per threshold."""
        k, t = self.num_classes, len(self.thresholds)
        # predicted foreground at threshold i: bins > i
        above = np.cumsum(self.hist[..., ::-1], axis=-1)[..., ::-1]  # sum over bins >= b
        conf = np.zeros((t, k, k), dtype=np.int64)
        for i in range(t):
            conf[i] = above[..., i + 1]  # score > threshold: its foreground class
            conf[i, :, 0] = self.hist[..., : i + 1].sum(axis=(1, 2))  # background
        return conf

    def result(self) -> Dict:
        """Per-threshold mIoU and the best threshold's per-class IoU (percent)."""
        ious = iou_from_confusion(self.confusions())  # (T, K)
        mious = np.nanmean(ious, axis=1) * 100
        best = int(np.nanargmax(mious))
        return dict(
            thresholds=self.thresholds.tolist(),
            mious=mious.tolist(),
            best_index=best,
            threshold=float(self.thresholds[best]),
            miou=float(mious[best]),
            class_iou=(ious[best] * 100).tolist(),
        )
