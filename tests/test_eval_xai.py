"""Multi-label XAI metrics (seed 002, A.1.3 / B.1.2) by hand, and tools/eval_xai.py."""
import json

import numpy as np
import pytest
import torch

from conftest import QUICKSTART, run_tool
from wsss_mm.apis import eval_xai
from wsss_mm.apis.train import load_config
from wsss_mm.evaluation.metrics.xai_metric import XAI_KEYS, MultiLabelXAIMetric

# image 1: classes 0 and 1; image 2: class 0 alone
SAMPLES = [
    dict(gt_labels=torch.tensor([1., 1, 0]), pred_scores=torch.tensor([0.8, 0.5, 0.1]),
         masked_scores=torch.tensor([[0.9, 0.25, 0.1], [0.4, 0.5, 0.3]]),
         complement_scores=torch.tensor([[0.2, 0.5, 0.1], [0.8, 0.1, 0.1]])),
    dict(gt_labels=torch.tensor([1., 0, 0]), pred_scores=torch.tensor([0.5, 0.2, 0.2]),
         masked_scores=torch.tensor([[0.25, 0.2, 0.2]]),
         complement_scores=torch.tensor([[0.5, 0.2, 0.2]])),
]


def test_xai_metrics_by_hand():
    metric = MultiLabelXAIMetric()
    metric.process(None, SAMPLES)
    result = metric.evaluate(2)
    # pairs (image, class): IC, AD, AR, ADO, ARO
    #   (1, 0): 1, 0,   0.75, (0.5 - 0.25) / 0.5 = 0.5, 0
    #   (1, 1): 0, 0,   0.8,  (0.8 - 0.4) / 0.8 = 0.5,  0
    #   (2, 0): 0, 0.5, 0,    0 (no other class),        0
    # class 0: IC .5, AD .25, AR .375, ADO .25, ARO 0 -> F1- 0, F1+ HM(.25, .375) = .3
    # class 1: IC 0,  AD 0,   AR .8,   ADO .5,  ARO 0 -> F1- 0, F1+ HM(.5, .8) = 8/13
    expected = {'IC': 25, 'AD': 12.5, 'ADO': 37.5, 'AR': 58.75, 'ARO': 0, 'F1-': 0,
                'F1+': (0.3 + 8 / 13) / 2 * 100}
    assert set(result) == {f'xai/{k}' for k in XAI_KEYS}
    for key, value in expected.items():
        assert result[f'xai/{key}'] == pytest.approx(value), key


def test_a_perfect_mask_of_a_lone_class():
    metric = MultiLabelXAIMetric()
    metric.process(None, [dict(
        gt_labels=torch.tensor([0., 1]), pred_scores=torch.tensor([0.1, 0.6]),
        masked_scores=torch.tensor([[0.1, 0.7]]), complement_scores=torch.tensor([[0.1, 0.]]))])
    result = metric.compute_metrics(metric.results)
    assert result == {'IC': 100, 'AD': 0, 'ADO': 0, 'AR': 100, 'ARO': 0, 'F1-': 0, 'F1+': 0}
    assert np.isnan(MultiLabelXAIMetric().compute_metrics([])['IC'])


def test_eval_xai_tool(trained_cam, synth_root):
    config, ckpt, _ = trained_cam
    proc = run_tool('tools/eval_xai.py', config, ckpt, '--data-root', synth_root,
                    '--methods', 'CAM', 'MinMaxCAM', '--batch-size', '8',
                    '--cfg-options', 'cam_dataloader.num_workers=0')
    lines = proc.stdout.strip().splitlines()
    result = json.loads(lines[-1])
    assert set(result) == {'CAM', 'MinMaxCAM'}
    assert all(set(v) == set(XAI_KEYS) for v in result.values())
    assert all(0 <= v <= 100 for r in result.values() for v in r.values())
    assert '%ADO↑' in proc.stdout and any(line.startswith('MinMaxCAM') for line in lines)


def test_eval_xai_rejects_unknown_or_no_methods():
    cfg = load_config(QUICKSTART)
    with pytest.raises(KeyError, match='unknown CAM method "NoSuchCAM"'):
        eval_xai(cfg, None, ['CAM', 'NoSuchCAM'])
    with pytest.raises(ValueError, match='at least one'):
        eval_xai(cfg, None, [])
