"""Seed mIoU the MMEngine way: SeedMIoUMetric equals eval_cams on the same maps and
merges across ranks; CAMInferenceModel fills ``pred_cams``; the CAM loops and
``tools/test.py --seed-miou``; ``tools/test.py --tta --show-dir`` on DeepLab."""

import glob
import json
import os.path as osp
import re

import numpy as np
import pytest
import torch
from conftest import QUICKSTART, ROOT, run_tool
from mmengine.config import Config
from mmengine.runner.checkpoint import load_state_dict
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsss_mm.apis.eval_cams import DEFAULT_THRESHOLDS as APIS_THRESHOLDS
from wsss_mm.apis.eval_cams import eval_cams
from wsss_mm.apis.train import load_config, use_seed_evaluation
from wsss_mm.cams import CAMInferenceModel, multiscale_cams
from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.evaluation.metrics import SeedMIoUMetric
from wsss_mm.evaluation.seed_miou import DEFAULT_THRESHOLDS
from wsss_mm.registry import CAM_METHODS, METRICS, MODELS
from wsss_mm.utils.io import read_mask, read_split

DEEPLAB = osp.join(ROOT, 'configs', 'quickstart', 'deeplab_synthvoc.py')
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


def tiny_network():
    """An untrained 4-class CAM network with mmseg's data preprocessor, in eval mode."""
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='CAMClassifier',
            data_preprocessor=dict(
                type='mmseg.SegDataPreProcessor',
                mean=[123.7, 116.3, 103.5],
                std=[58.4, 57.1, 57.4],
                bgr_to_rgb=True,
            ),
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=18,
                base_channels=8,
                stem_channels=8,
                strides=(1, 2, 1, 1),
                out_indices=(3,),
            ),
            head=dict(type='GAPClassifierHead', in_channels=64, num_classes=4),
        )
    ).eval()


def batch(size, ori_shape=None):
    """One random image of ``size`` (H, W) with labels 1 and 3 of 4."""
    sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=ori_shape or size))
    sample.gt_labels = torch.tensor([0.0, 1.0, 0.0, 1.0])
    img = torch.randint(
        0, 256, (3, *size), dtype=torch.uint8, generator=torch.Generator().manual_seed(1)
    )
    return dict(inputs=[img], data_samples=[sample])


@pytest.mark.parametrize('method', ['CAM', 'GradCAM'])
def test_wrapper_predicts_cams_of_the_present_classes(method):
    net = tiny_network()
    model = MODELS.build(
        dict(type='CAMInferenceModel', module=net, method=method, scales=(1.0, 0.5), flip=True)
    )
    with torch.no_grad():  # MMEngine's loops: gradient methods enable them themselves
        (sample,) = model.test_step(batch((40, 52)))
    cams = sample.pred_cams.data
    assert cams.shape == (4, 40, 52)
    assert cams.min() >= 0 and cams.max() <= 1
    assert torch.all(cams[[0, 2]] == 0) and torch.all(cams[[1, 3]].flatten(1).amax(1) > 0.99)
    data = net.data_preprocessor(batch((40, 52)), False)
    expected = multiscale_cams(
        CAM_METHODS.build(dict(type=method)),
        net,
        data['inputs'],
        data['data_samples'][0].gt_labels[None],
        (1.0, 0.5),
        True,
    )
    torch.testing.assert_close(cams, expected[0])
    assert sample.pred_scores.shape == (4,) and 'pred_logits' in sample


def test_wrapper_resizes_to_the_original_size_and_loads_the_network_weights():
    model = CAMInferenceModel(tiny_network(), scales=(1.0,))
    (sample,) = model.val_step(batch((20, 26), ori_shape=(40, 52)))
    cams = sample.pred_cams.data
    assert cams.shape == (4, 40, 52) and torch.all(cams[[0, 2]] == 0)
    assert cams.max() <= 1 and torch.all(cams[[1, 3]].flatten(1).amax(1) > 0.99)
    # a checkpoint of the network loads into the wrapper (as into mmseg's SegTTAModel)
    other = tiny_network()
    with torch.no_grad():
        other.head.classifier.weight.mul_(-1)
    load_state_dict(model, other.state_dict(), strict=True)
    assert torch.equal(model.module.head.classifier.weight, other.head.classifier.weight)
    with pytest.raises(KeyError, match='unknown CAM method "NoCAM"'):
        CAMInferenceModel(tiny_network(), method='NoCAM')
    unlabelled = batch((20, 26))
    del unlabelled['data_samples'][0].gt_labels
    with pytest.raises(KeyError, match=r'data samples \[0\] carry no `gt_labels`'):
        model.test_step(unlabelled)


def test_seed_evaluation_switches_the_test_to_the_val_setup():
    cfg = load_config(QUICKSTART)
    assert cfg.val_evaluator.type == 'SeedMIoUMetric'
    assert cfg.train_cfg.val_interval == cfg.train_cfg.max_epochs  # once, at the end
    assert cfg.val_dataloader.dataset.ann_file == cfg.cam_dataloader.dataset.ann_file
    use_seed_evaluation(cfg)
    assert cfg.test_dataloader == cfg.val_dataloader
    assert cfg.test_evaluator == dict(type='SeedMIoUMetric')
    assert cfg.test_cfg == dict(type='CAMTestLoop', method='CAM')
    with pytest.raises(KeyError, match='--seed-miou needs'):
        use_seed_evaluation(Config(dict(val_cfg=None, val_dataloader=None)))


def logged_metric(text: str, key: str) -> float:
    """The last ``KEY: value`` MMEngine logged."""
    return float(re.findall(rf'{key}: (-?[\d.]+)', text)[-1])


@pytest.mark.slow
def test_test_tool_seed_miou_equals_infer_and_eval_cams(synth_root, tmp_path):
    """tools/test.py --seed-miou on an untrained quickstart network reports the
    seed mIoU of tools/infer_cams.py + tools/eval_cams.py."""
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'cam.pth')
    torch.save(dict(state_dict=MODELS.build(load_config(QUICKSTART).model).state_dict()), ckpt)
    proc = run_tool(
        'tools/test.py',
        QUICKSTART,
        ckpt,
        '--seed-miou',
        '--data-root',
        synth_root,
        '--work-dir',
        str(tmp_path / 'work'),
        '--cfg-options',
        'val_dataloader.num_workers=0',
    )
    log = proc.stdout + proc.stderr
    assert 'seed_mIoU' in log and 'floor_mIoU' in log and 'Epoch(test)' in log
    run_tool(
        'tools/infer_cams.py',
        QUICKSTART,
        ckpt,
        '--out-dir',
        str(tmp_path / 'cams'),
        '--data-root',
        synth_root,
        '--cfg-options',
        'cam_dataloader.num_workers=0',
    )
    evaluated = run_tool(
        'tools/eval_cams.py', '--cam-dir', str(tmp_path / 'cams'), '--data-root', synth_root
    )
    summary = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert round(logged_metric(log, 'seed_mIoU'), 2) == pytest.approx(summary['miou'], abs=0.011)
    assert logged_metric(log, 'seed_threshold') == pytest.approx(summary['threshold'])
    assert round(logged_metric(log, 'floor_mIoU'), 2) == pytest.approx(
        summary['floor_miou'], abs=0.011
    )
    proc = run_tool('tools/test.py', QUICKSTART, ckpt, '--seed-miou', '--tta', check=False)
    assert proc.returncode == 2 and '--seed-miou' in proc.stderr


@pytest.mark.slow
def test_training_validates_the_seeds_once_at_the_end(trained_cam):
    _, _, work_dir = trained_cam
    logs = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert any('Epoch(val)' in open(p).read() and 'seed_mIoU' in open(p).read() for p in logs)


@pytest.mark.slow
def test_test_tool_tta_show_dir_on_deeplab(synth_root, tmp_path):
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'deeplab.pth')
    torch.save(dict(state_dict=MODELS.build(load_config(DEEPLAB).model).state_dict()), ckpt)
    work_dir = tmp_path / 'work'
    proc = run_tool(
        'tools/test.py',
        DEEPLAB,
        ckpt,
        '--tta',
        '--show-dir',
        'vis',
        '--data-root',
        synth_root,
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    )
    assert 'mIoU' in proc.stdout + proc.stderr
    drawn = glob.glob(str(work_dir / 'vis' / '**' / '*.png'), recursive=True)
    assert len(drawn) == 8  # every val image of the tiny set
