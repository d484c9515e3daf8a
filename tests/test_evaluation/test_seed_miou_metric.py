"""Seed mIoU the MMEngine way: SeedMIoUMetric equals eval_cams on the same maps and
merges across ranks."""

import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsss_mm.apis.eval_cams import DEFAULT_THRESHOLDS as APIS_THRESHOLDS
from wsss_mm.apis.eval_cams import eval_cams
from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.evaluation.metrics import SeedMIoUMetric
from wsss_mm.evaluation.seed_miou import DEFAULT_THRESHOLDS
from wsss_mm.registry import METRICS
from wsss_mm.utils.io import read_mask, read_split

NUM_CLASSES = 20


def sample_dict(cams: np.ndarray, labels: np.ndarray, gt: np.ndarray, img_id: str) -> dict:
    """A data sample as the evaluator hands it to a metric (``to_dict()``)."""
    sample = SegDataSample(metainfo=dict(img_id=img_id))
    sample.pred_cams = PixelData(data=torch.from_numpy(cams))
    sample.gt_sem_seg = PixelData(data=torch.from_numpy(gt.astype(np.int64))[None])
    sample.gt_labels = torch.from_numpy(labels)
    return sample.to_dict()


@pytest.fixture(scope='module')
def random_seeds(synth_root, tmp_path_factory):
    """Random maps of the train split, as CAM files and as data samples. The
    maps of absent classes are nonzero in the samples (the metric must not read
    them); one image's labels add a class its mask does not hold."""
    cam_dir = str(tmp_path_factory.mktemp('cams'))
    rng = np.random.default_rng(0)
    samples = []
    ids = read_split(osp.join(synth_root, 'ImageSets', 'Segmentation', 'train.txt'))
    for n, img_id in enumerate(ids):
        gt = read_mask(osp.join(synth_root, 'SegmentationClass', img_id + '.png'))
        present = sorted(int(c) - 1 for c in np.unique(gt) if 0 < c < 255)
        if n == 0:
            present = sorted(set(present) | {19})
        labels = np.zeros(NUM_CLASSES, dtype=np.float32)
        labels[present] = 1
        cams = rng.random((NUM_CLASSES, *gt.shape), dtype=np.float32) ** 2
        save_cam_file(cam_path(cam_dir, img_id), np.asarray(present) + 1, cams[present])
        samples.append(sample_dict(cams, labels, gt, img_id))
    return cam_dir, samples


def metric_result(samples, **options) -> dict:
    metric = METRICS.build(dict(type='SeedMIoUMetric', **options))
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def test_default_thresholds_are_eval_cams_ones():
    assert APIS_THRESHOLDS is DEFAULT_THRESHOLDS
    tool = np.round(np.arange(0.01, 0.95 + 0.01 / 2, 0.01), 6)  # tools/eval_cams.py's
    assert np.array_equal(tool, np.asarray(DEFAULT_THRESHOLDS))


def test_metric_equals_eval_cams_on_the_same_maps(random_seeds, synth_root):
    cam_dir, samples = random_seeds
    expected = eval_cams(cam_dir, synth_root)
    result = metric_result(samples)
    assert result == dict(
        seed_mIoU=expected['cams']['miou'],
        seed_threshold=expected['cams']['threshold'],
        floor_mIoU=expected['floor']['miou'],
        floor_threshold=expected['floor']['threshold'],
    )
    coarse = (0.1, 0.3, 0.5)
    expected = eval_cams(cam_dir, synth_root, thresholds=coarse)
    assert metric_result(samples, thresholds=coarse)['seed_mIoU'] == expected['cams']['miou']


def test_results_of_two_ranks_give_the_numbers_of_one(random_seeds):
    _, samples = random_seeds
    ranks = [SeedMIoUMetric(), SeedMIoUMetric()]
    for rank, metric in enumerate(ranks):
        metric.process(None, samples[rank::2])
    merged = ranks[0].results + ranks[1].results
    assert ranks[0].compute_metrics(merged) == metric_result(samples)
    # small results: the nonzero bins of each image's histograms
    _, index, counts, _, _ = merged[0]
    assert len(index) == len(counts) < 21 * 21 * (len(DEFAULT_THRESHOLDS) + 1) // 10


def test_metric_refuses_maps_of_another_size():
    gt = np.zeros((8, 8), dtype=np.uint8)
    labels = np.ones(NUM_CLASSES, dtype=np.float32)
    sample = sample_dict(np.zeros((NUM_CLASSES, 8, 9), np.float32), labels, gt, 'img_7')
    with pytest.raises(ValueError, match='img_7: pred_cams are 8x9 but its ground truth is 8x8'):
        SeedMIoUMetric().process(None, [sample])
    with pytest.raises(ValueError, match='increasing'):
        SeedMIoUMetric(thresholds=(0.5, 0.2))
