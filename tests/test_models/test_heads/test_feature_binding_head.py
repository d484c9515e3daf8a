"""SegMix's feature binding head: concat(S_t, S_p) -> 1x1 conv -> ReLU -> 1x1 conv."""

import pytest
import torch
import torch.nn.functional as F

from wsss_mm.models.heads import FeatureBindingHead


def test_binding_head_shapes_and_two_convs_with_relu():
    torch.manual_seed(0)
    head = FeatureBindingHead(num_classes=4, channels=6)
    dominant, phantom = torch.randn(2, 4, 5, 7), torch.randn(2, 4, 5, 7)
    out = head([dominant, phantom])
    assert out.shape == (2, 4, 5, 7)
    conv1, conv2 = head.fuse.conv, head.conv_seg
    assert conv1.kernel_size == conv2.kernel_size == (1, 1)
    assert (conv1.in_channels, conv1.out_channels) == (8, 6)
    assert (conv2.in_channels, conv2.out_channels) == (6, 4)
    assert head.fuse.norm_cfg is None
    expected = conv2(F.relu(conv1(torch.cat([dominant, phantom], dim=1))))
    assert torch.allclose(out, expected, atol=1e-6)


def test_binding_head_rejects_other_than_two_inputs():
    with pytest.raises(ValueError, match=r'in_channels=\[4, 4, 4\], expected the two widths'):
        FeatureBindingHead(num_classes=4, channels=6, in_channels=(4, 4, 4))
