"""NewLayersOptimWrapperConstructor: x1 / x2 / x10 / x20 learning rates of the
pretrained and new layers' weights and biases; frozen parameters left out."""

import pytest
import torch.nn as nn
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.backbone = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
        self.head = nn.Conv2d(4, 2, 1)
        self.frozen = nn.Conv2d(3, 4, 1)
        self.frozen.requires_grad_(False)


def build_in_scope(model, cfg):
    with DefaultScope.overwrite_default_scope('wsss_mm'):
        return build_optim_wrapper(model, cfg)


def test_new_layers_constructor_groups_x1_x2_x10_x20():
    net = _Net()
    wrapper = build_in_scope(
        net,
        dict(
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
            constructor='NewLayersOptimWrapperConstructor',
            paramwise_cfg=dict(new_layers=('head', 'absent'), new_lr_mult=10.0, bias_lr_mult=2.0),
        ),
    )
    setting = {
        id(p): (g['lr'], g['weight_decay'])
        for g in wrapper.optimizer.param_groups
        for p in g['params']
    }
    expected = {
        'backbone.0.weight': (0.01, 5e-4),
        'backbone.0.bias': (0.02, 0),
        'backbone.1.weight': (0.02, 0),
        'backbone.1.bias': (0.02, 0),
        'head.weight': (0.1, 5e-4),
        'head.bias': (0.2, 0),
    }
    params = dict(net.named_parameters())
    assert len(setting) == len(expected)  # frozen parameters left out
    for name, (lr, wd) in expected.items():
        assert setting[id(params[name])] == pytest.approx((lr, wd)), name
    with pytest.raises(ValueError, match='new_layers'):
        build_in_scope(
            net,
            dict(
                optimizer=dict(type='SGD', lr=0.01),
                constructor='NewLayersOptimWrapperConstructor',
                paramwise_cfg=dict(custom_keys={}),
            ),
        )
