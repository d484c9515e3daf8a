"""A run made shorter or longer with ``train_cfg.max_epochs`` (``--cfg-options``,
``tools/train.py --epochs``, a pipeline's options) keeps its recipe: the
schedulers, the checkpoint and the validation intervals follow the new length."""

import importlib.util
import os.path as osp
import sys

import pytest

from wsss_mm.apis.schedule import max_epochs_option, set_max_epochs
from wsss_mm.apis.train import load_config


def test_options_that_set_max_epochs_fit_the_schedule(quickstart_config):
    cfg = load_config(quickstart_config)
    assert cfg.train_cfg.max_epochs == 40 and cfg.param_scheduler[0].end == 40
    cfg = load_config(quickstart_config, {'train_cfg.max_epochs': 2})
    assert cfg.train_cfg.max_epochs == 2 and cfg.max_epochs == 2
    assert cfg.param_scheduler[0].end == 2  # the PolyLR reaches eta_min at the new end
    assert cfg.default_hooks.checkpoint.interval == 2 and cfg.train_cfg.val_interval == 2
    # an option that sets a scheduler itself wins
    cfg = load_config(quickstart_config, {'train_cfg.max_epochs': 4, 'param_scheduler.0.end': 3})
    assert cfg.param_scheduler[0].end == 3


def test_milestones_warmup_and_cosine_follow(repo_root):
    cfg = load_config(
        osp.join(repo_root, 'configs/group_wsss/group-wsss_vgg16_1xb4-15e_voc12aug-224x224.py')
    )
    assert cfg.train_cfg.max_epochs == 15 and cfg.param_scheduler[0].milestones == [5, 10]
    set_max_epochs(cfg, 3)
    assert cfg.param_scheduler[0].milestones == [1, 2] and cfg.param_scheduler[0].end == 3

    cfg.param_scheduler = [
        dict(type='LinearLR', begin=0, end=1, by_epoch=True),
        dict(type='CosineAnnealingLR', begin=1, end=3, T_max=2, by_epoch=True),
        dict(type='PolyLR', begin=0, end=1000, by_epoch=False),
    ]
    set_max_epochs(cfg, 10)
    warmup, cosine, by_iter = cfg.param_scheduler
    assert warmup.end == 1 and (cosine.end, cosine.T_max) == (10, 9) and by_iter.end == 1000


def test_max_epochs_option_and_bad_values(repo_root, quickstart_config):
    assert max_epochs_option({'train_cfg.max_epochs': 3}) == 3
    assert max_epochs_option({'train_cfg': {'max_epochs': 5}}) == 5  # a pipeline's options
    assert max_epochs_option({'train_cfg.val_interval': 1}) is None
    with pytest.raises(ValueError, match='train_cfg.max_epochs must be an integer >= 1, got 0'):
        load_config(quickstart_config, {'train_cfg.max_epochs': 0})
    with pytest.raises(ValueError, match='trains by iterations'):
        load_config(
            osp.join(repo_root, 'configs/deeplab/deeplabv3_r101_voc_pseudo.py'),
            {'train_cfg.max_epochs': 2},
        )


def test_train_tool_epochs_option(repo_root, quickstart_config, monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location('train_tool', f'{repo_root}/tools/train.py')
    tool = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(tool)
    monkeypatch.setattr(sys, 'argv', ['train.py', quickstart_config, '--epochs', '3'])
    args = tool.parse_args()
    assert args.cfg_options == {'train_cfg.max_epochs': 3}
    assert load_config(quickstart_config, args.cfg_options).param_scheduler[0].end == 3
    monkeypatch.setattr(
        sys,
        'argv',
        ['train.py', quickstart_config, '--epochs', '3', '--cfg-options', 'train_cfg.max_epochs=2'],
    )
    with pytest.raises(SystemExit):
        tool.parse_args()
    assert 'argument --epochs: 3 differs from --cfg-options train_cfg.max_epochs=2' in (
        capsys.readouterr().err
    )
