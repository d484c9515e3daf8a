"""tools/dist_train.sh: 2 CPU processes (gloo) through torchrun and MMEngine."""

import os
import os.path as osp
import socket
import subprocess
import sys

import pytest
from conftest import QUICKSTART, ROOT, TINY_TRAIN

CPN_QUICKSTART = osp.join(ROOT, 'configs', 'quickstart', 'cpn_synthvoc.py')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.mark.slow
@pytest.mark.parametrize('config', [QUICKSTART, CPN_QUICKSTART], ids=['cam', 'cpn'])
def test_dist_train_two_cpu_processes(config, synth_root, tmp_path):
    env = dict(os.environ, PYTHON=sys.executable, PORT=str(free_port()), OMP_NUM_THREADS='1')
    proc = subprocess.run(
        [
            'bash',
            'tools/dist_train.sh',
            config,
            '2',
            '--data-root',
            synth_root,
            '--work-dir',
            str(tmp_path),
            '--cfg-options',
            *TINY_TRAIN,
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-5000:]
    assert 'Distributed training: True' in log
    assert 'backend: gloo' in log.lower() or "'backend': 'gloo'" in log
    assert osp.isfile(osp.join(str(tmp_path), 'epoch_1.pth'))
    # 24 images, batch 8 per process, 2 processes: 2 iterations per epoch
    assert '[1][2/2]' in log
