"""Seed mIoU threshold sweep, IoU, multi-label metrics."""

import numpy as np
import pytest

from wsss_mm.evaluation import ThresholdSweep, confusion_matrix, iou_from_confusion
from wsss_mm.evaluation.metrics.multilabel_metric import MultiLabelMetric


def brute_force(gts, cams, thresholds, k):
    confs = []
    for t in thresholds:
        conf = np.zeros((k, k), np.int64)
        for gt, (keys, cam) in zip(gts, cams):
            scores = np.concatenate([np.full((1, *gt.shape), t), cam])
            pred = np.concatenate([[0], keys])[scores.argmax(0)]
            conf += confusion_matrix(gt, pred, k)
        confs.append(conf)
    return np.stack(confs)


def test_sweep_matches_per_threshold_argmax():
    rng = np.random.default_rng(0)
    k, thresholds = 6, np.round(np.arange(0.1, 0.95, 0.1), 3)
    gts, cams = [], []
    for n in [0, 1, 2, 3]:
        gt = rng.integers(0, k, size=(9, 11))
        gt[0, :3] = 255
        keys = np.sort(rng.choice(np.arange(1, k), size=n, replace=False))
        cams.append((keys, rng.random((n, 9, 11)).astype(np.float32)))
        gts.append(gt)
    sweep = ThresholdSweep(thresholds, k)
    for gt, (keys, cam) in zip(gts, cams):
        sweep.update(gt, keys, cam)
    assert np.array_equal(sweep.confusions(), brute_force(gts, cams, thresholds, k))
    result = sweep.result()
    assert result['threshold'] == thresholds[result['best_index']]
    assert result['miou'] == pytest.approx(max(result['mious']))


def test_perfect_seed_scores_100():
    gt = np.zeros((4, 4), np.int64)
    gt[1:3, 1:3] = 2
    cam = (gt == 2).astype(np.float32)[None]
    sweep = ThresholdSweep([0.3, 0.6], 3)
    sweep.update(gt, np.array([2]), cam)
    res = sweep.result()
    assert res['miou'] == pytest.approx(100.0)  # class 1 absent: NaN, left out
    assert np.isnan(res['class_iou'][1])


def test_bad_keys_and_thresholds_are_rejected():
    with pytest.raises(ValueError, match='increasing'):
        ThresholdSweep([0.5, 0.2], 3)
    with pytest.raises(ValueError, match='class ids in 1..2'):
        ThresholdSweep([0.5], 3).update(np.zeros((2, 2)), np.array([3]), np.ones((1, 2, 2)))


def test_iou_from_confusion():
    conf = np.array([[3, 1], [0, 2]])
    assert iou_from_confusion(conf).tolist() == pytest.approx([3 / 4, 2 / 3])


def test_multilabel_metric_hand_case():
    metric = MultiLabelMetric()
    samples = [
        dict(pred_scores=np.array([0.9, 0.2]), gt_labels=np.array([1, 0])),
        dict(pred_scores=np.array([0.8, 0.7]), gt_labels=np.array([0, 1])),
        dict(pred_scores=np.array([0.1, 0.6]), gt_labels=np.array([0, 1])),
    ]
    metric.process({}, samples)
    out = metric.compute_metrics(metric.results)
    # class 0: positive ranked 1st -> AP 1; class 1: positives ranked 1st, 2nd -> AP 1
    assert out['mAP'] == pytest.approx(100.0)
    # class 0 F1: pred {0, 1}, gt {0} -> 2/3; class 1: pred {1, 2}, gt {1, 2} -> 1
    assert out['F1'] == pytest.approx(100 * (2 / 3 + 1) / 2)
