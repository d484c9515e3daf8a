"""Multi-label classification quality: mAP and macro F1 (seed 002, Table 5)."""

from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.evaluator import BaseMetric

from wsss_mm.registry import METRICS


def average_precision(scores: np.ndarray, labels: np.ndarray) -> np.ndarray:
    """Per-class AP (area under the precision-recall steps).

    Args:
        scores (np.ndarray): (N, C).
        labels (np.ndarray): (N, C) in {0, 1}.

    Returns:
        np.ndarray: (C,) AP; NaN for a class with no positive.
    """
    order = np.argsort(-scores, axis=0, kind='stable')
    hits = np.take_along_axis(labels, order, axis=0)
    tp = np.cumsum(hits, axis=0)
    precision = tp / np.arange(1, len(scores) + 1)[:, None]
    positives = hits.sum(0)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(positives > 0, (precision * hits).sum(0) / positives, np.nan)


def f1_scores(scores: np.ndarray, labels: np.ndarray, threshold: float) -> np.ndarray:
    """(C,) per-class F1 of ``scores > threshold``; NaN where undefined."""
    pred = scores > threshold
    tp = (pred & (labels > 0)).sum(0)
    denom = pred.sum(0) + (labels > 0).sum(0)
    with np.errstate(invalid='ignore', divide='ignore'):
        return np.where(denom > 0, 2 * tp / denom, np.nan)


@METRICS.register_module()
class MultiLabelMetric(BaseMetric):
    """mAP and macro-averaged F1 of a CAM network's image-level predictions.

    Reads ``pred_scores`` ((C,) probabilities) and ``gt_labels`` of each sample.

    Args:
        threshold (float): decision threshold of F1. Default: 0.5.
    """

    default_prefix = 'multilabel'

    def __init__(
        self, threshold: float = 0.5, collect_device: str = 'cpu', prefix: Optional[str] = None
    ) -> None:
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.threshold = threshold

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for sample in data_samples:
            self.results.append(
                (
                    torch.as_tensor(sample['pred_scores']).cpu().numpy(),
                    torch.as_tensor(sample['gt_labels']).cpu().numpy(),
                )
            )

    def compute_metrics(self, results: list) -> dict:
        scores = np.stack([r[0] for r in results])
        labels = np.stack([r[1] for r in results])
        return dict(
            mAP=float(np.nanmean(average_precision(scores, labels)) * 100),
            F1=float(np.nanmean(f1_scores(scores, labels, self.threshold)) * 100),
        )
