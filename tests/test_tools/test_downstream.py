"""A downstream project extends wsss_mm the OpenMMLab way: its own package registers a
head into ``wsss_mm.registry.MODELS``, its configs inherit wsss_mm's (and mmseg's)
installed configs through ``wsss_mm::`` / ``mmseg::`` bases and import the package with
``custom_imports``, and wsss_mm's ``tools/train.py`` trains them."""

import glob
import os
import os.path as osp
import textwrap

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

# the quickstart CAM network with the project's head
CONFIG = '''
_base_ = ['wsss_mm::quickstart/cam_synthvoc.py']
custom_imports = dict(imports=['wsss_mm', 'myproj.heads'], allow_failed_imports=False)
model = dict(head=dict(type='ScaledGAPHead', init_scale=2.0))
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
    """A project folder outside the repository: the package ``myproj`` and two configs."""
    root = tmp_path / 'project'
    (root / 'myproj').mkdir(parents=True)
    (root / 'myproj' / '__init__.py').write_text('')
    (root / 'myproj' / 'heads.py').write_text(textwrap.dedent(HEADS))
    (root / 'configs').mkdir()
    (root / 'configs' / 'cam_scaledhead_synthvoc.py').write_text(CONFIG)
    (root / 'configs' / 'cam_scaledhead_mmseg-runtime_synthvoc.py').write_text(CONFIG_MMSEG_RUNTIME)
    return root


@pytest.mark.slow
@pytest.mark.parametrize(
    'name', ['cam_scaledhead_synthvoc.py', 'cam_scaledhead_mmseg-runtime_synthvoc.py']
)
def test_downstream_project_trains_its_head_on_package_configs(
    project, name, synth_root, tmp_path, run_tool, tiny_train_options
):
    work_dir = tmp_path / 'work'
    # the project is importable through PYTHONPATH only (run_tool runs from the repo root)
    pythonpath = os.pathsep.join(p for p in [str(project), os.environ.get('PYTHONPATH')] if p)
    run_tool(
        'tools/train.py',
        str(project / 'configs' / name),
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
