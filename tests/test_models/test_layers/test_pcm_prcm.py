"""PCM and PRCM: shapes, ranges, and no gradient into the backbone."""

import pytest
import torch

import wsss_mm
from wsss_mm.registry import MODELS


@pytest.fixture(scope='module', autouse=True)
def registered():
    wsss_mm.register_all_modules(init_default_scope=False)


def build_pcm():
    torch.manual_seed(0)
    pcm = MODELS.build(
        dict(type='PCM', stage_channels=(8, 16), proj_channels=(4, 6), embed_channels=10)
    )
    pcm.init_weights()
    return pcm


def test_pcm_aggregates_image_and_detached_stages_on_the_map_grid():
    pcm = build_pcm()
    image = torch.randn(2, 3, 48, 40)
    stages = [
        torch.randn(2, 8, 12, 10, requires_grad=True),
        torch.randn(2, 16, 6, 5, requires_grad=True),
    ]
    feats = pcm.aggregate(image, stages, (6, 5))
    assert feats.shape == (2, 3 + 4 + 6, 6, 5) and pcm.in_channels == 13
    assert (feats[:, 3:] >= 0).all()
    feats.sum().backward()
    assert all(s.grad is None for s in stages)
    assert all(p.grad is not None for p in pcm.projs.parameters())
    with pytest.raises(ValueError, match='2 backbone stages'):
        pcm.aggregate(image, stages[:1], (6, 5))


def test_pcm_output_is_an_affinity_weighted_mean_of_the_maps():
    pcm = build_pcm()
    feats = torch.rand(2, 13, 6, 5)
    cams = torch.rand(2, 21, 6, 5)
    out = pcm(cams, feats)
    assert out.shape == (2, 21, 6, 5)
    assert (out >= 0).all() and (out <= cams.amax(dim=(2, 3), keepdim=True) + 1e-5).all()
    # a constant map stays constant; maps on another grid are resized first
    assert torch.allclose(pcm(torch.full((2, 21, 3, 3), 0.7), feats), torch.tensor(0.7), atol=1e-4)


def test_prcm_shape_range_and_code_key_view():
    torch.manual_seed(0)
    prcm = MODELS.build(dict(type='PRCM', in_channels=13, embed_channels=10))
    prcm.init_weights()
    cams, feats, query = torch.rand(2, 21, 6, 5), torch.randn(2, 13, 6, 5), torch.rand(2, 10, 6, 5)
    out = prcm(cams, feats, query)
    assert out.shape == cams.shape
    assert (out >= 0).all() and (out <= cams).all()
    # the relation weights of each class are a softmax over pixels
    weights = out / cams
    assert torch.allclose(weights.sum(dim=(2, 3)), torch.ones(2, 21), atol=1e-5)
    prcm.code_key_view = True
    assert not torch.allclose(prcm(cams, feats, query), out)


def test_refinement_gradients_do_not_reach_backbone_or_classifier():
    torch.manual_seed(0)
    cpn = MODELS.build(
        dict(
            type='CPN',
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=18,
                base_channels=8,
                stem_channels=8,
                strides=(1, 2, 1, 1),
                out_indices=(1, 2, 3),
            ),
            head=dict(type='GAPClassifierHead', in_channels=64, num_classes=4),
            pcm=dict(type='PCM', stage_channels=(16, 32), proj_channels=(4, 6), embed_channels=10),
            prcm=dict(type='PRCM', in_channels=13, embed_channels=10),
        )
    ).train()
    images = torch.randn(2, 3, 64, 64, requires_grad=True)
    labels = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 0]])
    stage_feats, feats = cpn.extract_feats(images)
    cams = cpn.class_maps(feats)
    refined = cpn.refine(images, stage_feats, cpn.seed_maps(cams, labels))
    assert refined.shape == (2, 5, 8, 8)
    refined.sum().backward()
    assert images.grad is None
    for name, param in cpn.named_parameters():
        reached = param.grad is not None and param.grad.abs().sum() > 0
        assert reached == name.startswith(('pcm.', 'prcm.')), name
