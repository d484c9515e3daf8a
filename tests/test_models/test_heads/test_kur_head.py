"""The KUR head: its alpha keeps the weights' variance; its effective kernel W^r drives
the logits and the CAMs."""

import pytest
import torch
import torch.nn as nn

from wsss_mm.models.heads import KURHead


def test_kur_alpha_keeps_the_weights_variance():
    torch.manual_seed(0)
    for alpha, ratio in ((None, 1.0), (1, 1 / 20**2)):
        head = KURHead(in_channels=512, num_classes=20, alpha=alpha)
        nn.init.normal_(head.classifier.weight, std=0.01)
        ratio_now = float(head.cam_weights().var() / head.classifier.weight.var())
        assert ratio_now == pytest.approx(ratio, rel=0.05)


def test_kur_effective_kernel_drives_logits_and_cams(build_method, tiny_cam_network):
    net = tiny_cam_network(head=dict(type='KURHead'))
    raw = net.head.classifier.weight.flatten(1)
    assert net.head.alpha == 4
    assert torch.allclose(net.cam_weights(), 4 * raw * raw.softmax(dim=0))
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feats = net.extract_feat(x)
        assert torch.allclose(
            net.predict_logits(feats), feats.mean(dim=(2, 3)) @ net.cam_weights().t(), atol=1e-6
        )
    expected = torch.einsum('ck,bkhw->bchw', net.cam_weights(), feats).clamp(min=0)
    assert torch.allclose(build_method('CAM')(net, x, torch.ones(2, 4)), expected, atol=1e-6)
