"""CAM methods: the protocol for every registered method (shapes, absent classes zero,
the network left untouched, batch equals one image at a time, grid-size neutrality, bad
input), CAM and Grad-CAM, the multi-scale + flip aggregation, the method hooks and the
closed form of GAP + linear heads; Grad-CAM++, Score-CAM, the MinMax family and AdvCAM on
tiny models whose answers are known by hand; AdvCAM on every quickstart CAM network and
through infer_cams."""

import glob
import os.path as osp
import shutil
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from wsss_mm.apis import infer_cams
from wsss_mm.apis.train import load_config
from wsss_mm.cams import (
    BaseCAMMethod,
    cam_path,
    check_cam_network,
    load_cam_file,
    multi_hot,
    multiscale_cams,
)
from wsss_mm.cams import grad_cam as grad_cam_module
from wsss_mm.models.heads import GAPClassifierHead
from wsss_mm.registry import CAM_METHODS, MODELS
from wsss_mm.testing.advcam_reference import reference_advcam
from wsss_mm.utils.maps import max_normalize

#: every registered method (one parametrized test covers them all)
METHODS = sorted(CAM_METHODS.module_dict)


@pytest.fixture(scope='module')
def model(tiny_cam_network):
    return tiny_cam_network()


#: three images: classes 0 and 2, class 3, no class
LABELS = torch.tensor([[1.0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])
#: two images: classes 0 and 2, classes 1 to 3
MULTI_LABELS = torch.tensor([[1.0, 0, 1, 0], [0, 1, 1, 1]])


# ---- every method: the protocol ----------------------------------------------
@pytest.mark.parametrize('name', METHODS)
def test_shapes_nonnegative_and_absent_classes_zero(model, name, build_method):
    cams = build_method(name)(model, torch.randn(3, 3, 64, 64), LABELS)
    assert cams.shape == (3, 4, 8, 8)
    assert (cams >= 0).all()
    assert (cams[LABELS == 0] == 0).all()
    assert not cams.requires_grad


@pytest.mark.parametrize('name', METHODS)
def test_model_is_left_untouched(name, build_method, tiny_cam_network):
    """No gradient, weight or ``requires_grad`` flag of the network changes, of a
    partly frozen network too."""
    net = tiny_cam_network()
    net.backbone.conv1.requires_grad_(False)
    state = {k: v.clone() for k, v in net.state_dict().items()}
    flags = {k: p.requires_grad for k, p in net.named_parameters()}
    build_method(name)(net, torch.randn(2, 3, 64, 64), LABELS[:2])
    assert all(p.grad is None for p in net.parameters())
    assert {k: p.requires_grad for k, p in net.named_parameters()} == flags
    assert all(torch.equal(v, net.state_dict()[k]) for k, v in state.items())


@pytest.mark.parametrize('name', METHODS)
def test_batch_equals_one_image_at_a_time(model, name, build_method):
    method = build_method(name)
    x = torch.randn(3, 3, 64, 64)
    whole = method(model, x, LABELS)
    single = torch.cat([method(model, x[i : i + 1], LABELS[i : i + 1]) for i in range(3)])
    assert torch.allclose(whole, single, atol=1e-5)


@pytest.mark.parametrize('name', METHODS)
def test_maps_do_not_depend_on_the_grid_size(name, build_method, linear_net):
    """The same features on a grid of 4x the cells (each cell repeated 2 x 2)
    have the same logits and CAMs: a scale-neutral method gives the same maps,
    so no scale of a multi-scale sum outweighs the others."""
    torch.manual_seed(0)
    net = linear_net(torch.randn(4, 6)).eval()
    feats = torch.randn(2, 6, 8, 8).relu()
    fine = feats.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    method = build_method(name)
    coarse_maps = method(net, feats, LABELS[:2])
    fine_maps = method(net, fine, LABELS[:2])
    expected = coarse_maps.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    assert coarse_maps.max() > 0
    assert torch.allclose(fine_maps, expected, rtol=1e-4, atol=1e-5 * expected.max())


@pytest.mark.parametrize('name', METHODS)
def test_methods_override_a_hook_not_the_call(name):
    assert '__call__' not in vars(CAM_METHODS.get(name))


@pytest.mark.parametrize('name', METHODS)
def test_bad_input_for_every_method(model, name, build_method):
    method, x = build_method(name), torch.randn(2, 3, 32, 32)
    with pytest.raises(ValueError, match=r'\(B, C\) = \(2, 4\).*5 classes but the model has C = 4'):
        method(model, x, torch.ones(2, 5))
    with pytest.raises(ValueError, match=r'\(B, C\) = \(2, 4\)'):
        method(model, x, torch.ones(2, 0))  # an empty label vector
    with pytest.raises(ValueError, match='multi-hot'):
        method(model, x, torch.full((2, 4), 0.5))
    with pytest.raises(TypeError, match='CAM network protocol.*extract_feat'):
        method(nn.Conv2d(3, 4, 1), x, torch.ones(2, 4))
    # an image with no foreground class: zero maps, not an error
    maps = method(model, x, torch.zeros(2, 4))
    assert maps.shape == (2, 4, 4, 4) and (maps == 0).all()


def test_multi_hot_rejects_class_ids_outside_the_model():
    assert torch.equal(multi_hot([[0, 2], []], 3), torch.tensor([[1.0, 0, 1], [0, 0, 0]]))
    with pytest.raises(ValueError, match=r'image 1: class ids \[20\].*0\.\.19'):
        multi_hot([[3], [20]], 20)
    with pytest.raises(ValueError, match=r'\[-1\]'):
        multi_hot([[-1]], 20)


# ---- CAM and Grad-CAM --------------------------------------------------------
def test_cam_is_relu_of_the_weighted_feature_sum(model):
    x = torch.randn(1, 3, 64, 64)
    labels = torch.ones(1, 4)
    with torch.no_grad():
        expected = torch.einsum('ck,bkhw->bchw', model.cam_weights(), model.extract_feat(x)).clamp(
            min=0
        )
    assert torch.allclose(CAM_METHODS.build(dict(type='CAM'))(model, x, labels), expected)


def test_grad_cam_reductions_against_cam(model, build_method):
    x = torch.randn(2, 3, 64, 64)
    cam = build_method('CAM')(model, x, LABELS[:2])
    # GAP over an 8 x 8 grid: ∂y_c/∂A_k = W_ck / 64 everywhere
    assert torch.allclose(build_method('GradCAM')(model, x, LABELS[:2]), cam, rtol=1e-4, atol=1e-6)
    assert torch.allclose(
        build_method('GradCAM', reduce='mean')(model, x, LABELS[:2]) * 64, cam, rtol=1e-4, atol=1e-6
    )
    # the AdvCAM authors' form: CAM_c / K⁺_c (K⁺_c positive weights of class c)
    authors = build_method('GradCAM', reduce='positive_mean', score='relu_cam_sum')(
        model, x, LABELS[:2]
    )
    positive = (model.cam_weights() > 0).sum(dim=1).float()
    assert torch.allclose(authors * positive[None, :, None, None], cam, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match='reduce'):
        build_method('GradCAM', reduce='max')


def test_multiscale_grad_cam_equals_multiscale_cam(model, build_method):
    x = torch.randn(2, 3, 64, 64)
    kwargs = dict(model=model, inputs=x, labels=LABELS[:2], scales=(1.0, 0.5, 1.5))
    cam = multiscale_cams(build_method('CAM'), **kwargs)
    assert torch.allclose(multiscale_cams(build_method('GradCAM'), **kwargs), cam, atol=1e-5)
    # the grid mean weighs the 0.5 scale 4x: another map
    assert (
        multiscale_cams(build_method('GradCAM', reduce='mean'), **kwargs) - cam
    ).abs().max() > 1e-2


# ---- the multi-scale + flip aggregation and the method hooks -----------------
def test_multiscale_flip_aggregation(model):
    method = CAM_METHODS.build(dict(type='CAM'))
    x = torch.randn(2, 3, 64, 64)
    out = multiscale_cams(method, model, x, LABELS[:2], scales=(1.0, 0.5, 1.5), flip=True)
    assert out.shape == (2, 4, 64, 64)
    present = LABELS[:2].bool()
    peaks = out.flatten(2).max(-1).values
    assert torch.allclose(peaks[present], torch.ones(int(present.sum())), atol=1e-3)
    assert (out[~present] == 0).all()
    # with flips, mirroring the input mirrors the maps
    mirrored = multiscale_cams(method, model, x.flip(-1), LABELS[:2], scales=(1.0,), flip=True)
    direct = multiscale_cams(method, model, x, LABELS[:2], scales=(1.0,), flip=True)
    assert torch.allclose(mirrored, direct.flip(-1), atol=1e-5)
    with pytest.raises(ValueError, match='scales'):
        multiscale_cams(method, model, x, LABELS[:2], scales=())


class InputCAM(BaseCAMMethod):
    """A method of the hook alone that reads the inputs: each class's map is
    the first input channel, average-pooled to the feature grid."""

    def get_cam_image(self, model, inputs, feats, labels):
        pooled = F.adaptive_avg_pool2d(inputs[:, :1], feats.shape[-2:])
        return pooled.expand(-1, labels.shape[1], -1, -1)


def test_a_method_overriding_only_the_hook_runs_through_multiscale_cams(model):
    x = torch.randn(2, 3, 64, 64)
    out = multiscale_cams(InputCAM(), model, x, LABELS[:2], scales=(1.0, 0.5), flip=True)
    # per scale cam(x) + flip(cam(flip(x))) = 2 ReLU(pool(x)): pooling 8 x 8 or 4 x 4
    # blocks commutes with the flip
    total = 0
    for size, scale in ((8, 1.0), (4, 0.5)):
        xs = (
            x
            if scale == 1
            else F.interpolate(x, scale_factor=scale, mode='bilinear', align_corners=False)
        )
        pooled = F.adaptive_avg_pool2d(xs[:, :1], size).clamp(min=0)
        total = total + F.interpolate(
            2 * pooled, size=(64, 64), mode='bilinear', align_corners=False
        )
    expected = max_normalize(total.expand(-1, 4, -1, -1) * LABELS[:2, :, None, None])
    assert torch.allclose(out, expected, atol=1e-5)


# ---- the closed form of a GAP + linear head (the linear_cam flag) ------------
class PlainGAPHead(GAPClassifierHead):
    """GAP + linear as its parent, through a forward of its own: no flag."""

    def forward(self, feats):
        return super().forward(feats)


def test_the_linear_cam_flag(tiny_cam_network, linear_net):
    assert tiny_cam_network().linear_cam
    assert tiny_cam_network(head=dict(type='KURHead')).linear_cam  # GAP + the kernel W^r
    assert not tiny_cam_network().train().linear_cam  # dropout may be on
    assert not PlainGAPHead.linear_cam  # a forward of its own drops the flag
    assert not getattr(linear_net(torch.ones(4, 6)), 'linear_cam', False)


@pytest.mark.parametrize(
    'name, options',
    [
        ('GradCAM', {}),
        ('GradCAM', dict(reduce='positive_mean')),
        ('GradCAMPlusPlus', {}),
        ('AdvCAM', {}),
        ('AdvCAM', dict(preset='authors', base=dict(type='GradCAM'))),
    ],
)
def test_a_head_without_the_flag_takes_the_gradient_path(
    monkeypatch, name, options, build_method, tiny_cam_network
):
    fast = tiny_cam_network()
    general = tiny_cam_network()
    general.head = PlainGAPHead(in_channels=64, num_classes=4)
    general.head.load_state_dict(fast.head.state_dict())
    general.eval()
    assert fast.linear_cam and not general.linear_cam
    original, calls = grad_cam_module.head_gradients, []

    def counted(*args):
        calls.append(1)
        return original(*args)

    monkeypatch.setattr(grad_cam_module, 'head_gradients', counted)
    x = torch.randn(2, 3, 64, 64)
    x = torch.cat([x, x.flip(-1)])  # the authors' preset climbs flip pairs
    labels = torch.cat([LABELS[:2], LABELS[:2]])
    method = build_method(name, **options)
    fast_maps = method(fast, x, labels)
    assert not calls  # closed form
    general_maps = method(general, x, labels)
    assert calls  # backward passes through the head
    assert fast_maps.max() > 0
    assert torch.allclose(general_maps, fast_maps, rtol=0, atol=1e-5 * fast_maps.max())


# ---- the MinMax family ------------------------------------------------------
# W (C = 3, K = 2) and two one-hot feature channels on a 2 x 2 grid
W = [[2.0, -3.0], [1.0, 1.0], [-1.0, 2.0]]
FEATS = torch.tensor([[[[1.0, 0], [0, 0]], [[0, 0], [0, 1]]]])


def test_minmax_cam_subtracts_the_other_present_classes_by_hand(build_method, linear_net):
    maps = build_method('MinMaxCAM')(linear_net(W), FEATS, torch.tensor([[1.0, 0, 1]]))
    # c = 0: W0 - W2 = (3, -5); c = 2: W2 - W0 = (-3, 5); ReLU per channel cell
    assert torch.allclose(maps[0, 0], torch.tensor([[3.0, 0], [0, 0]]))
    assert torch.allclose(maps[0, 2], torch.tensor([[0.0, 0], [0, 5]]))
    assert (maps[0, 1] == 0).all()


def test_d_minmax_terms_by_hand_in_both_forms(build_method, linear_net):
    labels = torch.tensor([[1.0, 0, 1]])
    for form in ('cam', 'grad'):
        maps = build_method('DMinMaxCAM', form=form)(linear_net(W), FEATS, labels)
        # c = 0: ReLU(W0) - ReLU(W2) / 1 + min(0, W0 + W2) / 2 = (2, -2.5)
        # c = 2: ReLU(W2) - ReLU(W0) / 1 + min(0, W0 + W2) / 2 = (-2, 1.5)
        assert torch.allclose(maps[0, 0], torch.tensor([[2.0, 0], [0, 0]]))
        assert torch.allclose(maps[0, 2], torch.tensor([[0.0, 0], [0, 1.5]]))


def test_detected_classes_as_the_other_classes(build_method, linear_net):
    net = linear_net(W)
    feats = FEATS * torch.tensor([4.0, 0])[:, None, None]  # logits (2, 1, -1): 0, 1 detected
    by_labels = build_method('MinMaxCAM')(net, feats, torch.tensor([[1.0, 0, 0]]))
    detected = build_method('MinMaxCAM', others='detected')(net, feats, torch.tensor([[1.0, 0, 0]]))
    assert torch.allclose(by_labels[0, 0], feats[0, 0] * 2)  # alone: CAM, W0 = (2, -3)
    assert torch.allclose(detected[0, 0], feats[0, 0] * 1)  # N_x = {1}: W0 - W1 = (1, -4)
    with pytest.raises(ValueError, match='others'):
        build_method('MinMaxCAM', others='predicted')


def test_minmax_equals_cam_with_one_present_class(model, build_method):
    x = torch.randn(2, 3, 32, 32)
    labels = torch.tensor([[0.0, 1, 0, 0], [0, 0, 0, 1]])
    cam = build_method('CAM')(model, x, labels)
    for name in ('MinMaxCAM', 'DMinMaxCAM'):
        assert torch.allclose(build_method(name)(model, x, labels), cam, atol=1e-5)
    grad_cam = build_method('MinMaxGradCAM')(model, x, labels)
    assert torch.allclose(grad_cam, cam, rtol=1e-4, atol=1e-5)


def test_gradient_forms_equal_cam_forms_for_a_gap_linear_head(model, build_method):
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(
        build_method('MinMaxGradCAM')(model, x, MULTI_LABELS),
        build_method('MinMaxCAM')(model, x, MULTI_LABELS),
        rtol=1e-4,
        atol=1e-5,
    )
    assert torch.allclose(
        build_method('DMinMaxCAM', form='grad')(model, x, MULTI_LABELS),
        build_method('DMinMaxCAM')(model, x, MULTI_LABELS),
        rtol=1e-4,
        atol=1e-5,
    )


# ---- Grad-CAM++ and Score-CAM -----------------------------------------------
def test_grad_cam_plus_plus_closed_form_for_a_gap_linear_head(model, build_method):
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feats = model.extract_feat(x)
    w = model.cam_weights()
    # g = W/hw everywhere: alpha = 1 / (2 + mean(A_k) W_ck), weight = ReLU(W_ck) alpha
    weights = w.clamp(min=0) / (2 + feats.mean(dim=(2, 3))[:, None] * w)
    expected = (
        torch.einsum('bck,bkhw->bchw', weights, feats).clamp(min=0) * MULTI_LABELS[:, :, None, None]
    )
    assert torch.allclose(
        build_method('GradCAMPlusPlus')(model, x, MULTI_LABELS), expected, rtol=1e-4, atol=1e-6
    )


def test_score_cam_scores_each_channel_masked_image(build_method, linear_net):
    torch.manual_seed(0)
    net, feats = linear_net(torch.randn(3, 4)), torch.rand(2, 4, 5, 5)
    labels = torch.tensor([[1.0, 0, 1], [0, 1, 0]])
    weights = torch.stack(
        [
            torch.stack(
                [
                    net.predict_logits(feats[b : b + 1] * (feats[b, k] / feats[b, k].max()))[
                        0
                    ].sigmoid()
                    for k in range(4)
                ],
                dim=1,
            )
            for b in range(2)
        ]
    )  # (B, C, K)
    expected = (
        torch.einsum('bck,bkhw->bchw', weights, feats).clamp(min=0) * labels[:, :, None, None]
    )
    for batch_size in (1, 3, 64):  # one forward per channel, chunks, all at once
        maps = build_method('ScoreCAM', batch_size=batch_size)(net, feats, labels)
        assert torch.allclose(maps, expected, atol=1e-5)


# ---- AdvCAM ----------------------------------------------------------------
class PixelNet(nn.Module):
    """A CAM network on pixels: A = ReLU(1x1 conv(x)) (K = 8), GAP + linear head."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.conv = nn.Conv2d(3, 8, 1)
        self.weight = nn.Parameter(torch.randn(2, 8))

    def extract_feat(self, x):
        return self.conv(x).relu()

    def predict_logits(self, feats):
        return feats.mean(dim=(2, 3)) @ self.weight.t()

    def cam_weights(self):
        return self.weight


class SquareHead(GAPClassifierHead):
    """A head that is not GAP + linear: the logits are GAP(A²)·Wᵀ."""

    def forward(self, feats):
        return super().forward(feats.pow(2))


@pytest.mark.parametrize('base', ['GradCAM', 'CAM', 'GradCAMPlusPlus', 'MinMaxCAM', 'ScoreCAM'])
def test_advcam_without_steps_is_its_base(model, base, build_method):
    x = torch.randn(2, 3, 32, 32)
    adv = build_method('AdvCAM', steps=0, base=dict(type=base))(model, x, MULTI_LABELS)
    assert torch.allclose(adv, build_method(base)(model, x, MULTI_LABELS), rtol=1e-5, atol=1e-7)


def test_advcam_batch_equals_a_per_class_loop(model, build_method):
    x = torch.randn(2, 3, 32, 32)
    method = build_method('AdvCAM', steps=3)
    batched = method(model, x, MULTI_LABELS)
    for img, cls in MULTI_LABELS.nonzero().tolist():
        row = method.climb(
            model, x[img : img + 1], MULTI_LABELS[img : img + 1], torch.tensor([cls])
        )
        assert torch.allclose(batched[img, cls], row[0], rtol=1e-4, atol=1e-4 * row.max())
    assert (batched[MULTI_LABELS == 0] == 0).all()


def test_advcam_generic_head_path(build_method, tiny_cam_network):
    net = tiny_cam_network()
    net.head = SquareHead(in_channels=64, num_classes=4).eval()
    assert not net.linear_cam  # a head with another forward loses the flag
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(
        build_method('AdvCAM', steps=0)(net, x, MULTI_LABELS),
        build_method('GradCAM')(net, x, MULTI_LABELS),
        rtol=1e-5,
        atol=1e-8,
    )
    method = build_method('AdvCAM', steps=2)
    batched = method(net, x, MULTI_LABELS)
    row = method.climb(net, x[1:], MULTI_LABELS[1:], torch.tensor([2]))
    assert torch.allclose(batched[1, 2], row[0], rtol=1e-4, atol=1e-4 * row.max())


def test_advcam_climbing_grows_the_map_and_the_mask_freezes_high_regions(build_method):
    net, x = PixelNet().eval(), torch.randn(1, 3, 16, 16)
    labels, cls = torch.tensor([[1.0, 1]]), torch.tensor([0])
    free = list(build_method('AdvCAM', steps=10, reg_coeff=0).climb_steps(net, x, labels, cls))
    held = list(build_method('AdvCAM', steps=10).climb_steps(net, x, labels, cls))  # λ = 7
    init = held[0]
    assert torch.equal(init, free[0]) and len(held) == 11
    high = init > 0.5 * init.max()  # the restricting mask of x^0
    drift = [float((m - init)[high].abs().max() / init.max()) for m in held]
    assert max(drift) < 0.05  # held within 5% of the t = 0 map
    assert float((free[-1] - init)[high].abs().max() / init.max()) > 0.15
    assert held[-1][~high].sum() > 1.2 * init[~high].sum()  # the rest still grows


def test_advcam_step_and_scale_rules(build_method):
    method = build_method('AdvCAM', steps=27, step_size=0.5)
    assert method.at_scale(0.5).steps == 13 and method.steps == 27
    assert method.at_scale(1.5) is method
    assert (
        method.num_maps == 28 and build_method('AdvCAM', preset='authors', steps=27).num_maps == 27
    )
    assert build_method('AdvCAM', preset='authors', steps=0).num_maps == 1  # the base map
    x, grad = torch.zeros(1, 3, 2, 2), torch.full((1, 3, 2, 2), 4.0)
    x[0, 0, 0, 0], x[0, 1, 0, 0], grad[0, 0, 0, 0] = -1, 0.3, -8
    step = method.ascend(x, grad)  # 0.5 * grad / 8, clamped to x's range [-1, 0.3]
    assert step[0, 0, 0, 0] == -1 and step[0, 2, 0, 0] == 0.25 and step[0, 1, 0, 0] == 0.3
    raw = build_method('AdvCAM', step_size=0.1, grad_norm='none').ascend(x, grad)
    assert raw[0, 2, 0, 0] == 0.3 and torch.isclose(raw[0, 0, 0, 0], torch.tensor(-1.0))


def test_advcam_presets_and_options(build_method):
    authors = build_method('AdvCAM', preset='authors')
    assert (authors.score, authors.reg_reduce, authors.flip_pairs, authors.include_last) == (
        'relu_cam',
        'sum',
        True,
        False,
    )
    assert (authors.base.reduce, authors.base.score) == ('positive_mean', 'relu_cam_sum')
    assert build_method('AdvCAM', preset='authors', reg_coeff=3).reg_coeff == 3  # options override
    with pytest.raises(ValueError, match='preset'):
        build_method('AdvCAM', preset='code')
    with pytest.raises(TypeError, match=r"no option \['lambda'\]"):
        build_method('AdvCAM', **{'lambda': 7})
    with pytest.raises(ValueError, match='reg_reduce'):
        build_method('AdvCAM', reg_reduce='max')


def test_advcam_flip_pairs_need_a_flip_batch(model, build_method):
    method = build_method('AdvCAM', preset='authors', steps=1)
    x = torch.randn(1, 3, 32, 32)
    with pytest.raises(ValueError, match=r'cat\(\[x, x.flip\(-1\)\]\)'):
        method(model, torch.cat([x, torch.randn(1, 3, 32, 32)]), MULTI_LABELS[:1].repeat(2, 1))
    maps = method(model, torch.cat([x, x.flip(-1)]), MULTI_LABELS[:1].repeat(2, 1))
    assert maps.shape == (2, 4, 4, 4) and (maps[:, MULTI_LABELS[0] == 0] == 0).all()


def test_advcam_authors_preset_equals_the_authors_loop_in_float64(build_method, tiny_cam_network):
    """The batched preset against wsss_mm/testing/advcam_reference.py, an
    independent transcription of the authors' hooked, per-class, per-scale loop."""
    net = tiny_cam_network().double()
    torch.manual_seed(1)
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    labels = MULTI_LABELS.double()
    method = build_method('AdvCAM', preset='authors', steps=12)  # > 10: the authors' T // 2 at 0.5
    batched = multiscale_cams(method, net, x, labels, scales=(1.0, 0.5))
    for img in range(2):
        ref = reference_advcam(
            net, x[img : img + 1], labels[img], 'backbone.layer4', scales=(1.0, 0.5), adv_iter=12
        )
        assert torch.allclose(batched[img], ref, rtol=0, atol=1e-10)
    # the climbing changed the maps: the reference is not the t = 0 map
    base = multiscale_cams(
        build_method('AdvCAM', preset='authors', steps=0), net, x, labels, scales=(1.0, 0.5)
    )
    assert (batched - base).abs().max() > 1e-2


def test_advcam_multiscale_without_steps_equals_its_base(model, build_method):
    x = torch.randn(1, 3, 32, 32)
    kwargs = dict(model=model, inputs=x, labels=MULTI_LABELS[:1], scales=(1.0, 0.5))
    assert torch.allclose(
        multiscale_cams(build_method('AdvCAM', steps=0), **kwargs),
        multiscale_cams(build_method('GradCAM'), **kwargs),
        atol=1e-6,
    )


def test_advcam_rejects_a_training_model_and_a_base_without_weights(build_method, tiny_cam_network):
    with pytest.raises(ValueError, match='eval mode'):
        build_method('AdvCAM')(
            tiny_cam_network().train(), torch.randn(1, 3, 32, 32), MULTI_LABELS[:1]
        )
    with pytest.raises(TypeError, match='; AdvCAM does not'):
        build_method('AdvCAM', base=dict(type='AdvCAM'))  # maps, no channel weights
    with pytest.raises(ValueError, match='suppress'):
        build_method('AdvCAM', suppress='none')


def test_advcam_spends_no_forward_pass_on_unused_features(model, monkeypatch, build_method):
    """AdvCAM extracts the features of every climbing step itself: the base class's
    feature pass would be one forward per call for nothing."""
    calls = []
    extract = model.extract_feat
    monkeypatch.setattr(model, 'extract_feat', lambda x: calls.append(1) or extract(x))
    method = build_method('AdvCAM', steps=2)
    inputs, labels = torch.randn(2, 3, 32, 32), torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 0]])
    maps = method(model, inputs, labels)
    climbing = len(calls)
    monkeypatch.setattr(type(method), 'uses_features', True)
    assert torch.equal(method(model, inputs, labels), maps)
    assert len(calls) == 2 * climbing + 1
    monkeypatch.setattr(type(method), 'uses_features', False)
    zeros = method(model, inputs, torch.zeros(2, 4))
    assert zeros.shape == maps.shape and not zeros.any()


# ---- AdvCAM through the pipeline -------------------------------------------
def is_cam_network(config_path):
    """Whether the model of a config is a CAM network (its class: no need to build)."""
    try:
        check_cam_network(MODELS.get(Config.fromfile(config_path).model.type))
    except TypeError:
        return False
    return True


REPO_ROOT = Path(__file__).resolve().parents[2]
QUICKSTART_CAM_NETWORKS = [
    path
    for path in sorted(glob.glob(str(REPO_ROOT / 'configs' / 'quickstart' / '*.py')))
    if is_cam_network(path)
]


@pytest.mark.parametrize('path', QUICKSTART_CAM_NETWORKS, ids=osp.basename)
def test_advcam_on_every_quickstart_cam_network(path, build_method):
    cfg = Config.fromfile(path)
    net = MODELS.build(cfg.model).eval()
    labels = torch.zeros(1, net.cam_weights().shape[0])
    labels[0, [2, 5]] = 1
    maps = multiscale_cams(
        build_method('AdvCAM', steps=1), net, torch.randn(1, 3, 32, 32), labels, scales=(1.0,)
    )
    assert maps.shape == (1, *labels.shape[1:], 32, 32)
    assert (maps[labels == 0] == 0).all() and torch.isfinite(maps).all()


def test_infer_advcam_including_an_image_without_labels(trained_cam, synth_root, tmp_path):
    config, ckpt, _ = trained_cam
    root = tmp_path / 'data'
    shutil.copytree(synth_root, root)
    mask = Image.open(root / 'SegmentationClass' / 'synth_000001.png')
    Image.fromarray(np.zeros(mask.size[::-1], np.uint8)).convert('P').save(
        root / 'SegmentationClass' / 'synth_000001.png'
    )  # background only: no label
    (root / 'two.txt').write_text('synth_000000\nsynth_000001\n')
    cfg = load_config(config, {'cam_dataloader.num_workers': 0})
    cfg.cam_methods = dict(AdvCAM=dict(steps=1))
    out = str(tmp_path / 'cams')
    with DefaultScope.overwrite_default_scope('wsss_mm'):
        infer_cams(
            cfg,
            ckpt,
            out,
            method='AdvCAM',
            split=str(root / 'two.txt'),
            data_root=str(root),
            scales=(1.0, 0.5),
            device='cpu',
        )
    with_labels = load_cam_file(cam_path(out, 'synth_000000'))
    assert with_labels['cam'].shape == (len(with_labels['keys']), 64, 64)
    assert len(with_labels['keys']) > 0
    assert 0 <= with_labels['cam'].min() <= with_labels['cam'].max() <= 1
    empty = load_cam_file(cam_path(out, 'synth_000001'))
    assert empty['keys'].shape == (0,) and empty['cam'].shape == (0, 64, 64)
