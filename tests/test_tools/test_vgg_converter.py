"""tools/model_converters/torchvision_vgg2mmpretrain.py: torchvision's VGG16 (Group-WSSS's
ImageNet weights) -> MMPretrain's checkpoint layout, loaded by DilatedVGG's init_cfg."""

import pytest
import torch
import torchvision
from mmpretrain.models import VGG
from model_converters.torchvision_vgg2mmpretrain import convert

from wsss_mm.registry import MODELS


@pytest.fixture(scope='module')
def tv_vgg16():
    torch.manual_seed(0)
    return torchvision.models.vgg16().eval()


def test_torchvision_vgg16_converts_to_the_same_network(tv_vgg16):
    converted = convert({f'module.{k}': v for k, v in tv_vgg16.state_dict().items()})
    model = VGG(depth=16, num_classes=1000)
    model.load_state_dict({k[len('backbone.') :]: v for k, v in converted.items()}, strict=True)
    model.eval()  # mmpretrain's VGG.train returns None: not chained
    x = torch.randn(1, 3, 224, 224)
    with torch.no_grad():
        assert torch.allclose(model(x)[-1], tv_vgg16(x), atol=1e-4)


def test_dilated_vgg_loads_the_converted_file_through_init_cfg(tv_vgg16, tmp_path, run_tool):
    src = tmp_path / 'vgg16-tv.pth'
    torch.save(tv_vgg16.state_dict(), src)
    dst = tmp_path / 'vgg16_imagenet.pth'
    run_tool('tools/model_converters/torchvision_vgg2mmpretrain.py', str(src), str(dst))
    init_cfg = dict(type='Pretrained', checkpoint=str(dst), prefix='backbone.')
    model = MODELS.build(dict(type='DilatedVGG', init_cfg=init_cfg))
    model.init_weights()
    convs = [m for m in tv_vgg16.features if isinstance(m, torch.nn.Conv2d)]
    ours = [m.conv for m in model.features if hasattr(m, 'conv')]
    assert len(ours) == len(convs) == 13
    for a, b in zip(ours, convs):
        assert torch.equal(a.weight, b.weight) and torch.equal(a.bias, b.bias)


def test_a_non_vgg_is_refused():
    with pytest.raises(ValueError, match='not a torchvision VGG without BatchNorm'):
        convert(torchvision.models.vgg11_bn().state_dict())
    with pytest.raises(ValueError, match='4 convolutions'):
        convert({f'features.{i}.weight': torch.zeros(1) for i in (0, 2, 4, 6)})
