"""ConvStackNeck: the extra convolutions of the VGG16 CAM networks."""

import pytest
import torch

from wsss_mm.models.necks import ConvStackNeck


def test_shapes_layers_and_init():
    torch.manual_seed(0)
    neck = ConvStackNeck(in_channels=16, channels=8, num_convs=3)
    neck.init_weights()
    assert neck(torch.randn(2, 16, 7, 9)).shape == (2, 8, 7, 9)
    assert len(neck.convs) == 3
    for module in neck.convs:
        assert module.conv.kernel_size == (3, 3) and module.conv.bias is not None
        assert module.norm_cfg is None
        assert torch.all(module.conv.bias == 0)
        assert 0.005 < module.conv.weight.std() < 0.02  # N(0, 0.01)


def test_errors():
    with pytest.raises(ValueError, match='num_convs'):
        ConvStackNeck(in_channels=4, num_convs=0)
    with pytest.raises(ValueError, match='kernel_size'):
        ConvStackNeck(in_channels=4, kernel_size=2)
    with pytest.raises(ValueError, match='expected 4 input channels'):
        ConvStackNeck(in_channels=4, channels=4)(torch.randn(1, 3, 5, 5))
