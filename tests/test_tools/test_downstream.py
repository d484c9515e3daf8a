"""A downstream project extends wsss_mm the OpenMMLab way: its own package registers a
head into ``wsss_mm.registry.MODELS``, its configs inherit wsss_mm's (and mmseg's)
installed configs through ``wsss_mm::`` / ``mmseg::`` bases and import the package with
``custom_imports``, and wsss_mm's ``tools/train.py`` trains them. The example of README.md
runs as written: its files and its command are read from README.md here."""

import glob
import os
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

HEADS = '''
import torch
import torch.nn as nn

from wsss_mm.models.heads import GAPClassifierHead
from wsss_mm.registry import MODELS


@MODELS.register_module()
class ScaledGAPHead(GAPClassifierHead):
    """The GAP head with a learned scale on its classifier (and so on its CAMs)."""

    def __init__(self, *args, init_scale: float = 1.0, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.logit_scale = nn.Parameter(torch.tensor(float(init_scale)))

    def cam_weights(self) -> torch.Tensor:
        return super().cam_weights() * self.logit_scale
'''


# wsss_mm's model, data and schedule bases with mmseg's runtime
CONFIG_MMSEG_RUNTIME = '''
_base_ = [
    'wsss_mm::_base_/models/cam_classifier.py', 'wsss_mm::_base_/datasets/synthvoc.py',
    'wsss_mm::_base_/schedules/sgd_poly_5e.py', 'mmseg::_base_/default_runtime.py'
]
default_scope = 'wsss_mm'  # mmseg's runtime says 'mmseg'
custom_imports = dict(imports=['wsss_mm', 'myproj.heads'], allow_failed_imports=False)
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    backbone=dict(type='mmpretrain.ResNet', depth=18, base_channels=16, stem_channels=16,
                  strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4), out_indices=(3, )),
    head=dict(type='ScaledGAPHead', in_channels=128, init_scale=2.0))
'''


@pytest.fixture
def project(tmp_path):
    """A project folder outside the repository: the package ``myproj`` and a config on
    wsss_mm's model, data and schedule bases with mmseg's runtime."""
    root = tmp_path / 'project'
    (root / 'myproj').mkdir(parents=True)
    (root / 'myproj' / '__init__.py').write_text('')
    (root / 'myproj' / 'heads.py').write_text(HEADS)
    (root / 'configs').mkdir()
    (root / 'configs' / 'cam_scaledhead_mmseg-runtime_synthvoc.py').write_text(CONFIG_MMSEG_RUNTIME)
    return root


def readme_example(repo_root):
    """The files (``{path below my_project: text}``) and the shell command of README.md's
    "Extending from your own package" example."""
    readme = open(osp.join(repo_root, 'README.md'), encoding='utf-8').read()
    section = readme.split('## Extending from your own package', 1)[1].split('\n## ', 1)[0]
    blocks = re.findall(r'```(\w+)\n(.*?)```', section, flags=re.S)
    files = {}
    for lang, text in blocks:
        first = text.splitlines()[0]
        if lang == 'python' and first.startswith('# my_project/'):
            files[first[len('# my_project/') :]] = text
    commands = [text for lang, text in blocks if lang == 'bash']
    assert len(files) == 2 and len(commands) == 1, (list(files), commands)
    return files, commands[0]


@pytest.mark.slow
def test_the_readme_example_runs_as_written(repo_root, synth_root, tmp_path, tiny_train_options):
    """README.md's example, in ``my_project`` beside a wsss_mm "clone" (its tools/, and a
    data/synthvoc that is the tiny test set); the only change: a 1-epoch training."""
    files, command = readme_example(repo_root)
    for path, text in files.items():
        os.makedirs(osp.dirname(tmp_path / 'my_project' / path), exist_ok=True)
        (tmp_path / 'my_project' / path).write_text(text)
    clone = tmp_path / 'wsss_mm'
    (clone / 'data').mkdir(parents=True)
    os.symlink(osp.join(repo_root, 'tools'), clone / 'tools')
    os.symlink(synth_root, clone / 'data' / 'synthvoc')
    bin_dir = tmp_path / 'bin'  # `python` is this interpreter
    bin_dir.mkdir()
    (bin_dir / 'python').write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    (bin_dir / 'python').chmod(0o755)
    tiny = ' --cfg-options ' + ' '.join(tiny_train_options)
    env = dict(os.environ, PATH=f'{bin_dir}{os.pathsep}{os.environ["PATH"]}')
    env.pop('WSSS_MM_DEBUG', None)
    proc = subprocess.run(
        ['bash', '-c', 'set -e\n' + command.rstrip() + tiny],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    work_dir = tmp_path / 'my_project' / 'work_dirs' / 'my_config'
    state = torch.load(str(work_dir / 'epoch_1.pth'), map_location='cpu', weights_only=True)
    assert 'head.classifier.weight' in state['state_dict']
    log = open(glob.glob(osp.join(str(work_dir), '*', '*.log'))[0]).read()
    assert "type='MyHead'" in log  # the project's head was built and trained


@pytest.mark.slow
def test_downstream_project_trains_on_wsss_mm_and_mmseg_bases(
    project, synth_root, tmp_path, run_tool, tiny_train_options
):
    work_dir = tmp_path / 'work'
    # the project is importable through PYTHONPATH only (run_tool runs from the repo root)
    pythonpath = os.pathsep.join(p for p in [str(project), os.environ.get('PYTHONPATH')] if p)
    run_tool(
        'tools/train.py',
        str(project / 'configs' / 'cam_scaledhead_mmseg-runtime_synthvoc.py'),
        '--data-root',
        synth_root,
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        *tiny_train_options,
        env={'PYTHONPATH': pythonpath},
    )

    ckpt = work_dir / 'epoch_1.pth'
    assert ckpt.is_file()
    state = torch.load(str(ckpt), map_location='cpu', weights_only=False)['state_dict']
    assert 'head.logit_scale' in state  # the project's head was built and trained
    assert 'backbone.layer4.0.conv1.weight' in state  # on the quickstart backbone
    logs = glob.glob(osp.join(str(work_dir), '*', '*.log'))
    assert len(logs) == 1
    log = open(logs[0]).read()
    assert "type='ScaledGAPHead'" in log
    assert "default_scope = 'wsss_mm'" in log
