"""Shared fixtures: a tiny synthetic VOC set, a briefly trained CAM network, a tiny
untrained CAM network, a linear CAM network on given features, and a builder of CAM
methods for the unit tests. ``tools/`` goes on the path for the reference loops of
``tools/analysis_tools``.

Slow tests (``make test-fast`` skips them): those marked ``@pytest.mark.slow``
(end-to-end runs, torchrun, paper-size train steps) and, automatically, every
test that runs a tool in a subprocess (:func:`run_tool`) or uses the
``trained_cam`` fixture (a training through ``tools/train.py``)."""

import inspect
import os
import os.path as osp
import subprocess
import sys

import pytest
import torch
import torch.nn as nn

import wsss_mm  # stack fixes first
from wsss_mm.datasets.synthetic_voc import make_synthetic_voc
from wsss_mm.registry import CAM_METHODS, MODELS

wsss_mm.register_all_modules(init_default_scope=False)

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, osp.join(ROOT, 'tools'))  # analysis_tools: reference loops, not installed
QUICKSTART = osp.join(ROOT, 'configs', 'quickstart', 'cam_synthvoc.py')
# keep test training tiny: 1 epoch of batch 8
TINY_TRAIN = [
    'train_dataloader.batch_size=8',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'train_cfg.max_epochs=1',
    'cam_dataloader.num_workers=0',
    'default_hooks.logger.interval=1',
]


#: options that keep the slow CAM methods fast on the tiny network
FAST = dict(AdvCAM=dict(steps=2), ScoreCAM=dict(batch_size=64))


def build_method(name, **options):
    """A registered CAM method with the ``FAST`` options, overridden by ``options``."""
    return CAM_METHODS.build(dict(type=name, **{**FAST.get(name, {}), **options}))


def tiny_cam_network(head=dict(type='GAPClassifierHead'), width=8, num_classes=4):
    """An untrained CAM network in eval mode: ResNet-18 of base width ``width``
    (``8 * width`` feature channels at output stride 8), seeded."""
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


def pytest_collection_modifyitems(items):
    """Marks the tests that start a tool process as slow."""
    for item in items:
        function = getattr(item, 'function', None)
        if function is None:
            continue
        if 'run_tool(' in inspect.getsource(function) or 'trained_cam' in item.fixturenames:
            item.add_marker(pytest.mark.slow)


def run_tool(*args, check=True, env=None, timeout=600):
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
def synth_root(tmp_path_factory):
    """A 24 + 8 image synthetic VOC set of 64 x 64 images."""
    root = str(tmp_path_factory.mktemp('synthvoc'))
    make_synthetic_voc(root, num_train=24, num_val=8, size=64, seed=1)
    return root


@pytest.fixture(scope='session')
def trained_cam(synth_root, tmp_path_factory):
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
