"""DilatedResNeSt: the original ResNeSt code's dilated stages (P-NOC's ResNeSt-269 at
output stride 16) on MMPretrain's ResNeSt, and its MMPretrain checkpoints."""

import torch
import torch.nn as nn

from wsss_mm.registry import MODELS

TINY = dict(depth=50, stem_channels=16, base_channels=8, out_indices=(3,))


def build(type='DilatedResNeSt', **kwargs) -> nn.Module:
    torch.manual_seed(0)
    model = MODELS.build(dict(type=type, **TINY, **kwargs))
    model.eval()  # MMPretrain's backbones' train() returns None
    return model


def conv_dilations(stage: nn.Sequential) -> list:
    return [block.conv2.conv.dilation[0] for block in stage]


def test_output_stride_16_with_layer4_dilated():
    model = build(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2))
    with torch.no_grad():
        (out,) = model(torch.randn(1, 3, 64, 64))
    assert out.shape == (1, 256, 4, 4)


def test_first_block_of_a_dilated_stage_halves_the_dilation_and_keeps_its_pool():
    model = build(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2))
    # layer4 (3 blocks): 1, 2, 2 as the original code (MMPretrain: 2, 2, 2)
    assert conv_dilations(model.layer4) == [1, 2, 2]
    assert [block.conv2.conv.padding[0] for block in model.layer4] == [1, 2, 2]
    pool = model.layer4[0].avd_layer
    assert (pool.kernel_size, pool.stride, pool.padding) == (3, 1, 1)
    assert [block.avg_down_stride for block in model.layer4] == [True, False, False]
    # the undilated stages are MMPretrain's: stride-2 pools in the first blocks of layers 2, 3
    assert conv_dilations(model.layer3) == [1] * 6
    assert model.layer3[0].avd_layer.stride == 2 and not model.layer1[0].avg_down_stride


def test_output_stride_8_variant():
    """The code's dilated=True: layer3 at 2 (first block 1), layer4 at 4 (first block 2)."""
    model = build(strides=(1, 2, 1, 1), dilations=(1, 1, 2, 4))
    assert conv_dilations(model.layer3) == [1] + [2] * 5
    assert conv_dilations(model.layer4) == [2, 4, 4]
    assert model.layer3[0].avd_layer.stride == 1 and model.layer4[0].avd_layer.stride == 1


def test_undilated_network_is_mmpretrain_resnest_and_checkpoints_load():
    reference = build('mmpretrain.ResNeSt', strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2))
    model = build(strides=(1, 2, 2, 1), dilations=(1, 1, 1, 2))
    # the same parameters and buffers: MMPretrain's checkpoints load strictly
    model.load_state_dict(reference.state_dict(), strict=True)
    x = torch.randn(2, 3, 48, 48)
    with torch.no_grad():
        assert not torch.allclose(model(x)[0], reference(x)[0])  # layer4's first block differs
        plain = build(dilations=(1, 1, 1, 1))
        plain.load_state_dict(build('mmpretrain.ResNeSt').state_dict(), strict=True)
        torch.testing.assert_close(plain(x)[0], build('mmpretrain.ResNeSt')(x)[0])
