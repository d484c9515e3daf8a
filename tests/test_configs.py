"""Every config loads and builds; the paper-scale CAM networks run a train step
at paper input size on CPU."""
import glob
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.registry import MODELS

from conftest import ROOT

CONFIGS = sorted(p for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
                 if '_base_' not in p)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_its_model(path):
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'wsss_mm'
    model = MODELS.build(cfg.model)
    assert callable(getattr(model, 'extract_feat', None))


@pytest.mark.parametrize('name,size', [('cam/cam_r50_voc.py', 512), ('cam/cam_r38d_voc.py', 448)])
def test_paper_config_train_step_at_paper_size(name, size):
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    model = MODELS.build(cfg.model).train()
    labels = torch.zeros(1, 20)
    labels[0, [4, 14]] = 1
    sample = SegDataSample()
    sample.gt_labels = labels[0]
    data = dict(inputs=[torch.randint(0, 255, (3, size, size), dtype=torch.uint8)],
                data_samples=[sample])
    data = model.data_preprocessor(data, True)
    assert data['inputs'].shape == (1, 3, size, size)
    losses = model(**data, mode='loss')
    losses['loss_cls'].backward()
    assert torch.isfinite(losses['loss_cls'])
    assert model.head.classifier.weight.grad is not None


@pytest.mark.parametrize('name', ['cam_synthvoc_pretrained.py', 'cpn_synthvoc_pretrained.py'])
def test_pretrained_quickstart_configs_load_the_backbone_through_init_cfg(name, tmp_path):
    """The "pretrained" quickstart backbone loads as ImageNet weights do: init_cfg
    Pretrained with the prefix 'backbone.' of a whole CAM-network checkpoint."""
    wsss_mm.register_all_modules(init_default_scope=False)
    source = MODELS.build(Config.fromfile(
        osp.join(ROOT, 'configs', 'quickstart', 'cam_synthvoc.py')).model)
    ckpt = str(tmp_path / 'pretrain.pth')
    torch.save(dict(state_dict=source.state_dict()), ckpt)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'quickstart', name))
    assert cfg.model.freeze_bn and cfg.get('load_from') is None
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    model = MODELS.build(cfg.model)
    model.init_weights()
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    assert not torch.equal(model.head.classifier.weight, source.head.classifier.weight)
