"""tools/model_converters: torchvision ResNet -> MMPretrain keys; the ResNet-38d MXNet
converter's command line (its name mapping is tested in test_resnet38d.py)."""

import numpy as np
import pytest
import torch
import torchvision
from mmengine.registry import DefaultScope
from mmpretrain.models import ImageClassifier, ResNet
from model_converters.torchvision2mmpretrain import convert, resnet_depth


@pytest.mark.parametrize('depth', [18, 50])
def test_torchvision_resnet_loads_into_mmpretrain(depth, tmp_path, run_tool):
    source = getattr(torchvision.models, f'resnet{depth}')().eval()
    assert resnet_depth(source.state_dict()) == depth
    path = tmp_path / 'tv.pth'
    torch.save({f'module.{k}': v for k, v in source.state_dict().items()}, path)
    out = tmp_path / 'mm.pth'
    run_tool('tools/model_converters/torchvision2mmpretrain.py', str(path), str(out))
    backbone = ResNet(depth=depth, out_indices=(3,))
    backbone.load_state_dict(torch.load(out, weights_only=True)['state_dict'], strict=True)
    backbone.eval()  # mmpretrain's ResNet.train returns None: not chained
    x = torch.randn(1, 3, 64, 64)
    stem = torch.nn.Sequential(*list(source.children())[:-2])
    assert torch.allclose(backbone(x)[-1], stem(x), atol=1e-5)


def test_keep_head_writes_a_classifier_checkpoint():
    state = torchvision.models.resnet18().state_dict()
    converted = convert(state, keep_head=True)
    assert set(converted) == {'backbone.' + k for k in state if not k.startswith('fc.')} | {
        'head.fc.weight',
        'head.fc.bias',
    }
    with DefaultScope.overwrite_default_scope('mmpretrain'):
        model = ImageClassifier(
            backbone=dict(type='ResNet', depth=18),
            neck=dict(type='GlobalAveragePooling'),
            head=dict(type='LinearClsHead', num_classes=1000, in_channels=512),
        )
    model.load_state_dict(converted, strict=True)


def test_a_non_resnet_is_refused(tmp_path, run_tool):
    state = torchvision.models.resnet18().state_dict()
    state['layer1.0.conv1.weight'] = torch.zeros(1)
    with pytest.raises(ValueError, match='wrong shapes'):
        convert(state)
    path = tmp_path / 'bad.pth'
    torch.save(state, path)
    proc = run_tool(
        'tools/model_converters/torchvision2mmpretrain.py',
        str(path),
        str(tmp_path / 'out.pth'),
        check=False,
    )
    assert proc.returncode == 2 and 'bad.pth: not a torchvision ResNet' in proc.stderr


def test_resnet38d_converter_reads_an_npz(tmp_path, run_tool):
    src = tmp_path / 'r38.npz'
    np.savez(
        src,
        **{
            'arg:conv1a_weight': np.ones((64, 3, 3, 3), np.float32),
            'aux:bn7_moving_mean': np.zeros(4096, np.float32),
        },
    )
    dst = tmp_path / 'r38.pth'
    proc = run_tool('tools/model_converters/resnet38d_mxnet2torch.py', str(src), str(dst))
    assert 'wrote 2 tensors' in proc.stdout
    state = torch.load(dst, weights_only=True)
    assert set(state) == {'conv1a.weight', 'bn7.running_mean'}
    proc = run_tool(
        'tools/model_converters/resnet38d_mxnet2torch.py',
        str(tmp_path / 'x.params'),
        str(dst),
        check=False,
    )
    assert proc.returncode != 0 and 'MXNet weights not found' in proc.stderr
