"""DilatedVGG: Group-WSSS's VGG16 at output stride 8 (pool4 3x3 stride 1, conv5
dilation 2, no pool5), and its loading through init_cfg."""

import pytest
import torch
import torch.nn as nn

from wsss_mm.models.backbones import DilatedVGG
from wsss_mm.registry import MODELS


def build(**kwargs) -> DilatedVGG:
    torch.manual_seed(0)
    return MODELS.build(dict(type='DilatedVGG', **kwargs))


def pools(model: DilatedVGG) -> list:
    return [m for m in model.features if isinstance(m, nn.MaxPool2d)]


def test_output_stride_8_on_224():
    model = build()
    model.eval()  # MMPretrain's VGG.train returns None
    with torch.no_grad():
        (out,) = model(torch.randn(1, 3, 224, 224))
    assert out.shape == (1, 512, 28, 28)


def test_pool4_is_3x3_stride_1_and_pool5_is_gone():
    model = build()
    assert [(m.kernel_size, m.stride, m.padding) for m in pools(model)] == [
        (2, 2, 0),
        (2, 2, 0),
        (2, 2, 0),
        (3, 1, 1),
    ]
    assert model.features[model.range_sub_modules[3][1] - 1] is pools(model)[-1]  # closes conv4
    assert model.range_sub_modules[4][1] == len(model.features)  # conv5 ends the network


def test_conv5_has_dilation_2_and_the_rest_1():
    model = build()
    for stage, (start, end) in enumerate(model.range_sub_modules):
        convs = [m.conv for m in model.features[start:end] if hasattr(m, 'conv')]
        assert len(convs) == (2, 2, 3, 3, 3)[stage]
        for conv in convs:
            expected = 2 if stage == 4 else 1
            assert conv.dilation == (expected, expected) and conv.padding == (expected, expected)


def test_vgg16_parameters_match_mmpretrain_names_and_shapes():
    from mmpretrain.models.backbones import VGG

    reference = VGG(depth=16, with_last_pool=False).state_dict()
    ours = build().state_dict()
    assert {k: v.shape for k, v in ours.items()} == {k: v.shape for k, v in reference.items()}


def test_invalid_stride1_pools():
    with pytest.raises(ValueError, match='not one of the 5 stages'):
        build(stride1_pools=(5,))
    with pytest.raises(ValueError, match='no max-pool'):
        build(stride1_pools=(4,))


@pytest.mark.parametrize('prefix', [None, 'backbone.'])
def test_loads_a_local_checkpoint_through_init_cfg(tmp_path, prefix):
    """A backbone state dict, or a whole classifier checkpoint (MMPretrain's VGG-16
    ImageNet file) with prefix='backbone.' and its classifier keys ignored."""
    source = build()
    state = source.state_dict()
    if prefix:
        state = {prefix + k: v for k, v in state.items()}
        state['backbone.classifier.0.weight'] = torch.zeros(8, 8)
    path = str(tmp_path / 'vgg16.pth')
    torch.save(dict(state_dict=state), path)
    init_cfg = dict(type='Pretrained', checkpoint=path)
    if prefix:
        init_cfg['prefix'] = prefix
    torch.manual_seed(1)
    model = MODELS.build(dict(type='DilatedVGG', init_cfg=init_cfg))
    assert not torch.equal(model.features[0].conv.weight, source.features[0].conv.weight)
    model.init_weights()
    for key, value in source.state_dict().items():
        assert torch.equal(model.state_dict()[key], value), key
