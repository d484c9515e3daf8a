"""Tests of the ResNet-38d backbone and of its MXNet weight converter."""

import re

import numpy as np
import pytest
import torch
from model_converters.resnet38d_mxnet2torch import convert_mxnet_resnet38d
from torch.nn.modules.batchnorm import _BatchNorm

import wsss_mm.models.backbones  # noqa: F401  (registers ResNet38d)
from wsss_mm.models.backbones import ResNet38d
from wsss_mm.registry import MODELS

ALL = (0, 1, 2, 3, 4)
TRAINABLE_NORM = dict(type='BN', eps=1e-5, requires_grad=True)


@pytest.fixture(scope='module')
def source():
    """A randomly initialized backbone with non-trivial BN statistics."""
    torch.manual_seed(0)
    model = ResNet38d()
    model.init_weights()
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, _BatchNorm):
                module.weight.uniform_(0.5, 1.5)
                module.bias.normal_()
                module.running_mean.normal_()
                module.running_var.uniform_(0.5, 2.0)
    return model


def assert_same_state(model, reference):
    expected = reference.state_dict()
    for key, value in model.state_dict().items():
        if not key.endswith('num_batches_tracked'):
            assert torch.equal(value, expected[key]), key


def to_mxnet_name(key: str) -> str:
    """Inverse of the converter's naming, written independently for the test."""
    if key == 'conv1a.weight':
        return 'arg:conv1a_weight'
    bn_suffix = {
        'weight': 'gamma',
        'bias': 'beta',
        'running_mean': 'moving_mean',
        'running_var': 'moving_var',
    }
    if key.startswith('bn7.'):
        suffix = bn_suffix[key[len('bn7.') :]]
        return ('aux:' if 'moving' in suffix else 'arg:') + f'bn7_{suffix}'
    block, layer, param = key.split('.')
    stage, _, unit = block[1:].partition('_')
    unit = f'b{unit}' if unit else 'a'
    kind, branch = layer.split('_', 1)
    if kind == 'conv':
        return f'arg:res{stage}{unit}_{branch}_weight'
    suffix = bn_suffix[param]
    prefix = 'aux:' if 'moving' in suffix else 'arg:'
    return f'{prefix}bn{stage}{unit}_{branch}_{suffix}'


def test_feature_shapes_and_strides():
    model = ResNet38d(out_indices=ALL).eval()
    with torch.no_grad():
        feats = model(torch.randn(1, 3, 64, 64))
        odd = model(torch.randn(1, 3, 33, 33))
    assert [f.shape for f in feats] == [
        (1, c, 64 // s, 64 // s) for c, s in zip(ResNet38d.out_channels, ResNet38d.out_strides)
    ]
    assert ResNet38d.out_channels == (256, 512, 1024, 2048, 4096)
    assert [f.shape[-1] for f in odd] == [9, 5, 5, 5, 5]
    # Every exposed feature is after a BN + ReLU.
    assert all(f.min() >= 0 for f in feats)


def test_out_indices_selection():
    x = torch.randn(1, 3, 32, 32)
    with torch.no_grad():
        (final,) = ResNet38d().eval()(x)
        picked = ResNet38d(out_indices=(2, 0)).eval()(x)
    assert final.shape == (1, 4096, 4, 4)
    assert [f.shape[1] for f in picked] == [1024, 256]
    with pytest.raises(ValueError, match='out_indices'):
        ResNet38d(out_indices=(5,))
    with pytest.raises(ValueError, match='out_indices'):
        ResNet38d(out_indices=())
    with pytest.raises(ValueError, match='frozen_stages'):
        ResNet38d(frozen_stages=8)


def test_norm_eval_keeps_running_stats():
    model = ResNet38d(frozen_stages=0, out_indices=ALL).train()
    bns = [m for m in model.modules() if isinstance(m, _BatchNorm)]
    assert not any(bn.training for bn in bns)
    assert model.training and model.b6.dropout_2b1.training
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model(torch.randn(2, 3, 32, 32))
    for key, value in model.state_dict().items():
        assert torch.equal(value, before[key]), key

    model = ResNet38d(frozen_stages=0, norm_eval=False).train()
    assert all(m.training for m in model.modules())
    model(torch.randn(2, 3, 32, 32))
    assert not torch.equal(model.bn7.running_mean, before['bn7.running_mean'])


@pytest.mark.parametrize(
    'frozen_stages,frozen_prefixes',
    [
        (0, ()),
        (1, ('conv1a.',)),
        (2, ('conv1a.', 'b2.', 'b2_1.', 'b2_2.')),
    ],
)
def test_frozen_stages(frozen_stages, frozen_prefixes):
    model = ResNet38d(frozen_stages=frozen_stages, norm_eval=False, norm_cfg=TRAINABLE_NORM).train()
    for name, param in model.named_parameters():
        assert param.requires_grad != name.startswith(frozen_prefixes), name
    for name, module in model.named_modules():
        if isinstance(module, _BatchNorm):
            frozen = f'{name}.'.startswith(frozen_prefixes)
            assert module.training != frozen, name


def test_default_is_the_cam_recipe():
    model = ResNet38d().train()
    for name, param in model.named_parameters():
        frozen = name.startswith(('conv1a.', 'b2.', 'b2_1.', 'b2_2.')) or (
            '.bn_' in name or name.startswith('bn7.')
        )
        assert param.requires_grad != frozen, name
    assert not any(m.training for m in model.modules() if isinstance(m, _BatchNorm))


def test_pretrained_bare_state_dict(source, tmp_path):
    path = tmp_path / 'resnet38d.pth'
    torch.save(source.state_dict(), path)
    model = ResNet38d(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    assert model.is_init
    assert_same_state(model, source)


def test_pretrained_segmentor_checkpoint(source, tmp_path):
    """An mmengine checkpoint of a whole model, without BN counters."""
    state = {
        f'backbone.{k}': v
        for k, v in source.state_dict().items()
        if not k.endswith('num_batches_tracked')
    }
    state['decode_head.conv_seg.weight'] = torch.zeros(21, 4096, 1, 1)
    path = tmp_path / 'segmentor.pth'
    torch.save({'meta': {'epoch': 1}, 'state_dict': state}, path)
    model = ResNet38d(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    assert_same_state(model, source)


def test_converted_mxnet_weights_load(source, tmp_path):
    """Every key converts; a legacy-format, DataParallel-prefixed file with the
    ImageNet classifier loads strictly."""
    params = {
        to_mxnet_name(k): v.numpy()
        for k, v in source.state_dict().items()
        if not k.endswith('num_batches_tracked')
    }
    params['arg:linear1000_weight'] = np.zeros((1000, 4096), np.float32)
    params['arg:linear1000_bias'] = np.zeros(1000, np.float32)
    converted = convert_mxnet_resnet38d(params)
    assert set(converted) == {
        k for k in source.state_dict() if not k.endswith('num_batches_tracked')
    } | {'linear1000.weight', 'linear1000.bias'}
    path = tmp_path / 'converted.pth'
    torch.save(
        {f'module.{k}': v for k, v in converted.items()}, path, _use_new_zipfile_serialization=False
    )
    model = ResNet38d(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    model.init_weights()
    assert_same_state(model, source)


def test_pretrained_missing_keys(source, tmp_path):
    path = tmp_path / 'partial.pth'
    torch.save(
        {
            k: v
            for k, v in source.state_dict().items()
            if k.startswith('bn7.') and k != 'bn7.weight'
        },
        path,
    )
    model = ResNet38d(init_cfg=dict(type='Pretrained', checkpoint=str(path)))
    with pytest.raises(KeyError) as info:
        model.init_weights()
    assert 'bn7.weight' in str(info.value)
    assert 'conv1a.weight' in str(info.value)


def test_pretrained_missing_file(tmp_path):
    path = str(tmp_path / 'pretrain' / 'resnet38d_imagenet.pth')
    model = ResNet38d(init_cfg=dict(type='Pretrained', checkpoint=path))
    with pytest.raises(FileNotFoundError) as info:
        model.init_weights()
    message = str(info.value)
    assert path in message
    assert 'ilsvrc-cls_rna-a1_cls1000_ep-0001.params' in message
    assert 'docs/models/resnet38d.md' in message


def test_convert_mxnet_names():
    names = {
        'arg:conv1a_weight': 'conv1a.weight',
        'arg:res2a_branch1_weight': 'b2.conv_branch1.weight',
        'arg:res2a_branch2a_weight': 'b2.conv_branch2a.weight',
        'arg:bn2a_branch2a_gamma': 'b2.bn_branch2a.weight',
        'arg:bn2a_branch2a_beta': 'b2.bn_branch2a.bias',
        'aux:bn2a_branch2a_moving_mean': 'b2.bn_branch2a.running_mean',
        'aux:bn2a_branch2a_moving_var': 'b2.bn_branch2a.running_var',
        'arg:res2b1_branch2b1_weight': 'b2_1.conv_branch2b1.weight',
        'bn4b5_branch2b1_gamma': 'b4_5.bn_branch2b1.weight',
        'arg:res6a_branch2b2_weight': 'b6.conv_branch2b2.weight',
        'aux:bn7a_branch2b2_moving_var': 'b7.bn_branch2b2.running_var',
        'arg:bn7_gamma': 'bn7.weight',
        'aux:bn7_moving_mean': 'bn7.running_mean',
        'arg:linear1000_bias': 'linear1000.bias',
    }
    params = {name: np.full((2, 3), i, np.float32) for i, name in enumerate(names)}
    converted = convert_mxnet_resnet38d(params)
    assert set(converted) == set(names.values())
    for i, (name, key) in enumerate(names.items()):
        assert converted[key].dtype == torch.float32
        assert torch.equal(converted[key], torch.full((2, 3), float(i))), name
    for bad in ('arg:res2a_branch2a_gamma', 'arg:fc_weight', 'arg:bn2a_branch3_beta'):
        with pytest.raises(ValueError, match=re.escape(bad.split(':')[1])):
            convert_mxnet_resnet38d({bad: np.zeros(1)})


def test_build_from_registry():
    model = MODELS.build(dict(type='ResNet38d', out_indices=(1, 2)))
    assert isinstance(model, ResNet38d)
    assert model.out_indices == (1, 2)


def test_forward_backward_frozen_blocks_get_no_gradient():
    """One training step of the CAM recipe (the 448 x 448 step of the paper
    configs is in test_configs.py)."""
    torch.manual_seed(0)
    model = ResNet38d(out_indices=(1, 4)).train()
    conv4, final = model(torch.randn(1, 3, 96, 96))
    assert conv4.shape == (1, 512, 12, 12)
    assert final.shape == (1, 4096, 12, 12)
    (final.mean() + conv4.mean()).backward()
    assert model.conv1a.weight.grad is None
    assert model.b2_2.conv_branch2b1.weight.grad is None
    for param in (model.b3.conv_branch2a.weight, model.b7.conv_branch2b2.weight):
        assert param.grad is not None and torch.isfinite(param.grad).all()
        assert param.grad.abs().sum() > 0
