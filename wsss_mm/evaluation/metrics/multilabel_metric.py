"""Multi-label classification quality: mAP and macro F1 (seed 002, Table 5)."""

from typing import Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric
from mmpretrain.evaluation.metrics import AveragePrecision
from mmpretrain.evaluation.metrics import MultiLabelMetric as PretrainMultiLabelMetric

from wsss_mm.registry import METRICS


@METRICS.register_module()
class MultiLabelMetric(BaseMetric):
    """mAP and macro-averaged F1 of a CAM network's image-level predictions.

    Reads ``pred_scores`` ((C,) probabilities) and ``gt_labels`` ((C,)
    multi-hot) of each sample: the field names of the CAM network protocol,
    which mmpretrain's metrics (``pred_score`` / ``gt_score``) do not read.
    The per-class values are mmpretrain's (``AveragePrecision.calculate``,
    ``MultiLabelMetric.calculate``); the averages leave out the classes where
    they are undefined (no positive image for AP; neither a positive nor a
    prediction for F1), where mmpretrain counts them as 0.

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
                    torch.as_tensor(sample['pred_scores']).cpu().double(),
                    torch.as_tensor(sample['gt_labels']).cpu().double(),
                )
            )

    def compute_metrics(self, results: list) -> dict:
        scores = torch.stack([r[0] for r in results])
        labels = torch.stack([r[1] for r in results])
        positives = labels.sum(0) > 0
        ap = AveragePrecision.calculate(scores, labels, average=None)
        _, _, f1, _ = PretrainMultiLabelMetric.calculate(
            scores, labels, thr=self.threshold, average=None
        )
        f1_defined = positives | (scores > self.threshold).any(0)
        return dict(
            mAP=float(ap[positives].mean()) if positives.any() else float('nan'),
            F1=float(f1[f1_defined].mean()) if f1_defined.any() else float('nan'),
        )
