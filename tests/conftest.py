"""Shared fixtures: the repository's paths, a tiny synthetic VOC set, a briefly trained
CAM network, a tiny untrained CAM network, a linear CAM network on given features, a
builder of CAM methods, CAM files made from the ground truth, and a runner of the
``tools/`` scripts. ``tools/`` goes on the path for the modules the tests import from
it (``analysis_tools``, ``model_converters``, ``run_pipeline``).

Slow tests (``make test-fast`` skips them): those marked ``@pytest.mark.slow``
(end-to-end runs, torchrun, paper-size train steps) and, automatically, every
test that runs a tool in a subprocess (the ``run_tool`` fixture, also through
another fixture such as ``trained_cam``, a training through ``tools/train.py``)."""

import inspect
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
import pytest
import torch
import torch.nn as nn

import wsss_mm  # stack fixes first
from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.datasets.synthetic_voc import make_synthetic_voc
from wsss_mm.datasets.voc_layout import find_mask
from wsss_mm.registry import CAM_METHODS, MODELS
from wsss_mm.utils.io import read_mask

wsss_mm.register_all_modules(init_default_scope=False)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools'))  # reference loops, converters: not installed
QUICKSTART = osp.join(ROOT, 'configs', 'quickstart', 'cam_synthvoc.py')
# keep test training tiny: 1 epoch of batch 8
TINY_TRAIN = (
    'train_dataloader.batch_size=8',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=1',
    'cam_dataloader.num_workers=0',
    'default_hooks.logger.interval=1',
)

#: options that keep the slow CAM methods fast on the tiny network
FAST = dict(AdvCAM=dict(steps=2), ScoreCAM=dict(batch_size=64))


def pytest_collection_modifyitems(items):
    """Marks the tests that start a tool process as slow."""
    for item in items:
        function = getattr(item, 'function', None)
        if function is None:
            continue
        if 'run_tool' in item.fixturenames or 'run_tool(' in inspect.getsource(function):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope='session')
def repo_root():
    """The repository's root folder (str)."""
    return ROOT


@pytest.fixture(scope='session')
def quickstart_config():
    """configs/quickstart/cam_synthvoc.py: the quickstart CAM network (str)."""
    return QUICKSTART


@pytest.fixture
def tiny_train_options():
    """``--cfg-options`` that keep a training tiny: 1 epoch of batch 8, no workers."""
    return list(TINY_TRAIN)


def _run_tool(*args, check=True, env=None, timeout=600):
    """Runs ``python tools/<script> args`` from the repository root."""
    full_env = dict(os.environ, **(env or {}))
    full_env.pop('WSSS_MM_DEBUG', None)
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=full_env,
        timeout=timeout,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f'{args} failed ({proc.returncode}):\n{proc.stdout[-3000:]}\n{proc.stderr[-5000:]}'
        )
    return proc


@pytest.fixture(scope='session')
def run_tool():
    """``run_tool(script, *args, check=True, env=None, timeout=600)`` runs
    ``python script args`` from the repository root and returns the finished process;
    with ``check`` a non-zero exit fails the test with the process's output."""
    return _run_tool


@pytest.fixture(scope='session')
def build_method():
    """``build_method(name, **options)``: a registered CAM method with the options that
    keep the slow methods fast on the tiny network, overridden by ``options``."""

    def build(name, **options):
        return CAM_METHODS.build(dict(type=name, **{**FAST.get(name, {}), **options}))

    return build


@pytest.fixture(scope='session')
def tiny_cam_network():
    """``tiny_cam_network(head=..., width=8, num_classes=4)``: an untrained CAM network
    in eval mode, ResNet-18 of base width ``width`` (``8 * width`` feature channels at
    output stride 8), seeded."""

    def build(head=dict(type='GAPClassifierHead'), width=8, num_classes=4):
        torch.manual_seed(0)
        net = MODELS.build(
            dict(
                type='CAMClassifier',
                backbone=dict(
                    type='mmpretrain.ResNet',
                    depth=18,
                    base_channels=width,
                    stem_channels=width,
                    strides=(1, 2, 1, 1),
                    out_indices=(3,),
                ),
                head=dict(in_channels=8 * width, num_classes=num_classes, **head),
            )
        )
        return net.eval()

    return build


class LinearNet(nn.Module):
    """A CAM network whose features are its input: GAP + bias-free linear head."""

    def __init__(self, weight):
        super().__init__()
        self.weight = nn.Parameter(torch.as_tensor(weight, dtype=torch.float32))

    def extract_feat(self, x):
        return x

    def predict_logits(self, feats):
        return feats.mean(dim=(2, 3)) @ self.weight.t()

    def cam_weights(self):
        return self.weight


@pytest.fixture(scope='session')
def linear_net():
    """The class ``LinearNet(weight)``: a CAM network whose features are its input,
    GAP + a bias-free linear head of ``weight`` (C, K)."""
    return LinearNet


def _write_gt_cams(synth_root, cam_dir, img_ids, sigma=4.0):
    """CAM files made from the ground truth: each present class's mask, blurred."""
    for img_id in img_ids:
        gt = read_mask(find_mask([osp.join(synth_root, 'SegmentationClass')], img_id))
        keys = np.array([k for k in np.unique(gt) if 0 < k < 255], np.int64)
        cams = [cv2.GaussianBlur((gt == k).astype(np.float32), (0, 0), sigmaX=sigma) for k in keys]
        cams = np.stack(cams) if len(cams) else np.zeros((0, *gt.shape), np.float32)
        save_cam_file(
            cam_path(cam_dir, img_id),
            keys,
            cams / np.maximum(cams.max(axis=(1, 2), keepdims=True), 1e-5),
        )


@pytest.fixture(scope='session')
def write_gt_cams():
    """``write_gt_cams(synth_root, cam_dir, img_ids, sigma=4.0)`` writes CAM files made
    from the ground truth: each present class's mask, blurred, max-normalised."""
    return _write_gt_cams


@pytest.fixture(scope='session')
def synth_root(tmp_path_factory):
    """A 24 + 8 image synthetic VOC set of 64 x 64 images."""
    root = str(tmp_path_factory.mktemp('synthvoc'))
    make_synthetic_voc(root, num_train=24, num_val=8, size=64, seed=1)
    return root


@pytest.fixture(scope='session')
def trained_cam(synth_root, tmp_path_factory, run_tool):
    """(config path, checkpoint, work dir) of the quickstart CAM network after
    one epoch on the tiny set, trained through tools/train.py."""
    work_dir = str(tmp_path_factory.mktemp('cam_work'))
    run_tool(
        'tools/train.py',
        QUICKSTART,
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *TINY_TRAIN,
    )
    ckpt = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(ckpt)
    return QUICKSTART, ckpt, work_dir
