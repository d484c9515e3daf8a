"""The files a config names are checked before a Runner is built, each missing one
named in one line with its fix (wsss_mm.apis.config_check)."""

import os.path as osp

import pytest

from wsss_mm.apis.config_check import check_config_files
from wsss_mm.apis.config_utils import override_data_root
from wsss_mm.apis.train import load_config

TRAIN = ('train_dataloader', 'val_dataloader')


def _missing(cfg, loaders=TRAIN) -> str:
    with pytest.raises(FileNotFoundError) as error:
        check_config_files(cfg, loaders)
    assert '\n' not in str(error.value)
    return str(error.value)


def _missing_or_bad(cfg) -> str:
    with pytest.raises((FileNotFoundError, ValueError)) as error:
        check_config_files(cfg, TRAIN)
    assert '\n' not in str(error.value)
    return str(error.value)


def test_the_voc_config_names_its_data_root_and_weights(repo_root, synth_root, tmp_path):
    cfg = load_config(osp.join(repo_root, 'configs/cam/cam_r50_voc.py'))
    message = _missing(cfg)
    assert 'train_dataloader: data root not found: data/VOCdevkit/VOC2012 (pass --data-root' in (
        message
    )
    assert (
        'model.backbone.init_cfg.checkpoint: pretrained weights not found: '
        'pretrain/resnet50_imagenet.pth' in message
    )
    assert 'model.backbone.init_cfg=None to start from random weights' in message

    # the synthetic set has no SBD split; the weights are still missing
    override_data_root(cfg, synth_root)
    message = _missing(cfg)
    assert f'split file not found: {synth_root}/ImageSets/Segmentation/train_aug.txt' in message
    assert 'train_dataloader.dataset.ann_file=PATH' in message
    weights = tmp_path / 'r50.pth'
    weights.write_text('see https://download.pytorch.org/models/resnet50-0676ba61.pth\n')
    cfg.model.backbone.init_cfg.checkpoint = str(weights)
    cfg.train_dataloader.dataset.ann_file = 'ImageSets/Segmentation/train.txt'
    message = _missing_or_bad(cfg)
    assert f'model.backbone.init_cfg.checkpoint: {weights} is not a PyTorch checkpoint' in message
    weights.write_bytes(b'PK\x03\x04')  # how a torch.save file starts
    check_config_files(cfg, TRAIN)
    cfg.load_from = str(tmp_path / 'stage1.pth')
    assert 'load_from: checkpoint not found' in _missing(cfg)


def test_only_the_loaders_a_run_reads_are_checked(quickstart_config, synth_root, tmp_path):
    cfg = load_config(quickstart_config)
    override_data_root(cfg, synth_root)
    check_config_files(cfg, TRAIN)
    cfg.test_dataloader.dataset.ann_file = 'ImageSets/Segmentation/missing.txt'
    check_config_files(cfg, TRAIN)  # a training run does not read the test split
    assert 'test_dataloader: split file not found' in _missing(cfg, ('test_dataloader',))
