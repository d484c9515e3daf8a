"""tools/dist_train.sh: 2 CPU processes (gloo) through torchrun and MMEngine."""

import os
import os.path as osp
import socket
import subprocess
import sys

import pytest


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def dist_train(config, synth_root, work_dir, repo_root, options):
    """Runs tools/dist_train.sh with 2 CPU processes; returns its output."""
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [
            'bash',
            'tools/dist_train.sh',
            osp.join(repo_root, 'configs', 'quickstart', config),
            '2',
            '--data-root',
            synth_root,
            '--work-dir',
            str(work_dir),
            '--cfg-options',
            *options,
        ],
        cwd=repo_root,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    return log


@pytest.mark.slow
@pytest.mark.parametrize(
    'config',
    ['cam_synthvoc.py', 'cpn_synthvoc.py', 'puzzle_synthvoc.py', 'c2am_synthvoc.py'],
    ids=['cam', 'cpn', 'puzzle', 'c2am'],
)
def test_dist_train_two_cpu_processes(config, synth_root, tmp_path, repo_root, tiny_train_options):
    log = dist_train(config, synth_root, tmp_path, repo_root, tiny_train_options)
    assert 'Distributed training: True' in log
    assert 'backend: gloo' in log.lower() or "'backend': 'gloo'" in log
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))
    # 24 images, batch 8 per process, 2 processes: 2 iterations per epoch
    assert '[1][2/2]' in log


@pytest.mark.slow
@pytest.mark.parametrize('config', ['poc_synthvoc.py', 'pnoc_synthvoc.py'], ids=['poc', 'pnoc'])
def test_dist_train_with_ordinary_classifier(
    config, synth_root, tmp_path, repo_root, tiny_train_options, trained_cam
):
    """P-OC (one optimizer, one DDP) and P-NOC (two optimizers, one DDP per network)."""
    options = [*tiny_train_options, f'model.oc_checkpoint={trained_cam[1]}']
    log = dist_train(config, synth_root, tmp_path, repo_root, options)
    assert '[1][2/2]' in log and 'loss_cse' in log
    if config == 'pnoc_synthvoc.py':
        assert 'loss_noc' in log and 'MMSeparateDistributedDataParallel' in log


@pytest.mark.slow
def test_dist_train_group_wsss(synth_root, tmp_path, repo_root, tiny_train_options):
    """Group-WSSS: each rank takes whole groups of 4 (GroupSampler)."""
    log = dist_train('group_synthvoc.py', synth_root, tmp_path, repo_root, tiny_train_options)
    # 24 anchors x 4 images, split by groups over 2 ranks, batch 8: 6 iterations per epoch
    assert '[1][6/6]' in log and 'loss_pre' in log


@pytest.mark.slow
def test_dist_train_binding_cm(synth_root, tmp_path, repo_root, tiny_train_options, run_tool):
    """SegMix's Binding-CM: each rank blends its own batch (CoOccurrenceMix) and the three
    heads' losses reach DDP."""
    cooc = str(tmp_path / 'cooc.npy')
    run_tool('tools/analysis_tools/cooccurrence.py', '--data-root', synth_root, '--out', cooc)
    options = [
        *tiny_train_options,
        f'model.data_preprocessor.batch_augments.0.cooccurrence={cooc}',
        'val_dataloader.num_workers=0',
        'val_dataloader.persistent_workers=False',
    ]
    log = dist_train('segmix_cm_synthvoc.py', synth_root, tmp_path / 'work', repo_root, options)
    # 24 images over 2 ranks, batch 8, last batch dropped: 1 iteration per epoch
    assert '[1][1/1]' in log
    assert all(key in log for key in ('loss_t', 'loss_p', 'loss_fb'))
    assert osp.isfile(osp.join(str(tmp_path / 'work'), 'epoch_1.pth'))
