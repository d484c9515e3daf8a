"""tools/eval_xai.py on the briefly trained CAM network: XAI metrics of CAM and
MinMax-CAM for the ground-truth or the detected classes."""

import json
import os.path as osp

import numpy as np
import pytest

from wsss_mm.evaluation.metrics.xai_metric import NO_CLASS_KEY, XAI_KEYS


def run_eval_xai(run_tool, trained_cam, synth_root, *options):
    """``tools/eval_xai.py`` with CAM and MinMax-CAM: its output and last-line JSON."""
    config, ckpt, _ = trained_cam
    proc = run_tool(
        'tools/eval_xai.py',
        config,
        ckpt,
        '--data-root',
        synth_root,
        '--methods',
        'CAM',
        'MinMaxCAM',
        '--batch-size',
        '8',
        *options,
        '--cfg-options',
        'cam_dataloader.num_workers=0',
    )
    return proc, json.loads(proc.stdout.strip().splitlines()[-1])


@pytest.fixture(scope='module')
def ground_truth_run(run_tool, trained_cam, synth_root):
    return run_eval_xai(run_tool, trained_cam, synth_root)


def test_eval_xai_tool(ground_truth_run):
    proc, result = ground_truth_run
    lines = proc.stdout.strip().splitlines()
    assert set(result) == {'CAM', 'MinMaxCAM'}
    assert all(set(v) == {*XAI_KEYS, NO_CLASS_KEY} for v in result.values())
    assert all(0 <= v <= 100 for r in result.values() for v in r.values())
    assert '%ADO↑' in proc.stdout and any(line.startswith('| MinMaxCAM ') for line in lines)
    assert 'explained classes: ground truth; images without any (left out): 0' in proc.stdout


def test_eval_xai_tool_detected_classes(run_tool, trained_cam, synth_root, ground_truth_run):
    # threshold 0: every class is detected in every image, other pairs than the ground truth's
    proc, every = run_eval_xai(
        run_tool, trained_cam, synth_root, '--classes', 'detected', '--detect-threshold', '0'
    )
    assert 'explained classes: detected, sigmoid(logit) > 0.0; images without any' in proc.stdout
    assert every['CAM'][NO_CLASS_KEY] == 0
    assert every['CAM'] != ground_truth_run[1]['CAM']
    # threshold 1: nothing is detected; every image is counted, no pair, no crash
    proc, none = run_eval_xai(
        run_tool, trained_cam, synth_root, '--classes', 'detected', '--detect-threshold', '1'
    )
    with open(osp.join(synth_root, 'ImageSets', 'Segmentation', 'val.txt')) as f:
        assert none['CAM'][NO_CLASS_KEY] == len(f.read().split())
    assert all(np.isnan(none['CAM'][key]) for key in XAI_KEYS)
