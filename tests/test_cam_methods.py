"""CAM methods on the protocol, and the multi-scale + flip aggregation."""

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from conftest import LinearNet, build_method, tiny_cam_network

from wsss_mm.cams import BaseCAMMethod, multiscale_cams
from wsss_mm.cams import grad_cam as grad_cam_module
from wsss_mm.models.heads import GAPClassifierHead
from wsss_mm.registry import CAM_METHODS
from wsss_mm.utils.maps import max_normalize

#: every registered method (one parametrized test covers them all)
METHODS = sorted(CAM_METHODS.module_dict)
build = build_method


@pytest.fixture(scope='module')
def model():
    return tiny_cam_network()


LABELS = torch.tensor([[1.0, 0, 1, 0], [0, 0, 0, 1], [0, 0, 0, 0]])


@pytest.mark.parametrize('name', METHODS)
def test_shapes_nonnegative_and_absent_classes_zero(model, name):
    cams = build(name)(model, torch.randn(3, 3, 64, 64), LABELS)
    assert cams.shape == (3, 4, 8, 8)
    assert (cams >= 0).all()
    assert (cams[LABELS == 0] == 0).all()
    assert not cams.requires_grad


@pytest.mark.parametrize('name', METHODS)
def test_model_is_left_untouched(model, name):
    state = {k: v.clone() for k, v in model.state_dict().items()}
    flags = {k: p.requires_grad for k, p in model.named_parameters()}
    build(name)(model, torch.randn(2, 3, 64, 64), LABELS[:2])
    assert all(p.grad is None for p in model.parameters())
    assert {k: p.requires_grad for k, p in model.named_parameters()} == flags
    assert all(torch.equal(v, model.state_dict()[k]) for k, v in state.items())


@pytest.mark.parametrize('name', METHODS)
def test_batch_equals_one_image_at_a_time(model, name):
    method = build(name)
    x = torch.randn(3, 3, 64, 64)
    whole = method(model, x, LABELS)
    single = torch.cat([method(model, x[i : i + 1], LABELS[i : i + 1]) for i in range(3)])
    assert torch.allclose(whole, single, atol=1e-5)


def test_grad_cam_reductions_against_cam(model):
    x = torch.randn(2, 3, 64, 64)
    cam = build('CAM')(model, x, LABELS[:2])
    # GAP over an 8 x 8 grid: ∂y_c/∂A_k = W_ck / 64 everywhere
    assert torch.allclose(build('GradCAM')(model, x, LABELS[:2]), cam, rtol=1e-4, atol=1e-6)
    assert torch.allclose(
        build('GradCAM', reduce='mean')(model, x, LABELS[:2]) * 64, cam, rtol=1e-4, atol=1e-6
    )
    # the AdvCAM authors' form: CAM_c / K⁺_c (K⁺_c positive weights of class c)
    authors = build('GradCAM', reduce='positive_mean', score='relu_cam_sum')(model, x, LABELS[:2])
    positive = (model.cam_weights() > 0).sum(dim=1).float()
    assert torch.allclose(authors * positive[None, :, None, None], cam, rtol=1e-4, atol=1e-6)
    with pytest.raises(ValueError, match='reduce'):
        build('GradCAM', reduce='max')


@pytest.mark.parametrize('name', METHODS)
def test_maps_do_not_depend_on_the_grid_size(name):
    """The same features on a grid of 4x the cells (each cell repeated 2 x 2)
    have the same logits and CAMs: a scale-neutral method gives the same maps,
    so no scale of a multi-scale sum outweighs the others."""
    torch.manual_seed(0)
    net = LinearNet(torch.randn(4, 6)).eval()
    feats = torch.randn(2, 6, 8, 8).relu()
    fine = feats.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    method = build(name)
    coarse_maps = method(net, feats, LABELS[:2])
    fine_maps = method(net, fine, LABELS[:2])
    expected = coarse_maps.repeat_interleave(2, dim=2).repeat_interleave(2, dim=3)
    assert coarse_maps.max() > 0
    assert torch.allclose(fine_maps, expected, rtol=1e-4, atol=1e-5 * expected.max())


def test_multiscale_grad_cam_equals_multiscale_cam(model):
    x = torch.randn(2, 3, 64, 64)
    kwargs = dict(model=model, inputs=x, labels=LABELS[:2], scales=(1.0, 0.5, 1.5))
    cam = multiscale_cams(build('CAM'), **kwargs)
    assert torch.allclose(multiscale_cams(build('GradCAM'), **kwargs), cam, atol=1e-5)
    # the grid mean weighs the 0.5 scale 4x: another map
    assert (multiscale_cams(build('GradCAM', reduce='mean'), **kwargs) - cam).abs().max() > 1e-2


def test_cam_is_relu_of_the_weighted_feature_sum(model):
    x = torch.randn(1, 3, 64, 64)
    labels = torch.ones(1, 4)
    with torch.no_grad():
        expected = torch.einsum('ck,bkhw->bchw', model.cam_weights(), model.extract_feat(x)).clamp(
            min=0
        )
    assert torch.allclose(CAM_METHODS.build(dict(type='CAM'))(model, x, labels), expected)


def test_bad_labels_are_rejected(model):
    method = CAM_METHODS.build(dict(type='CAM'))
    x = torch.randn(2, 3, 32, 32)
    with pytest.raises(ValueError, match=r'\(B, C\) = \(2, 4\)'):
        method(model, x, torch.ones(2, 5))
    with pytest.raises(ValueError, match='multi-hot'):
        method(model, x, torch.full((2, 4), 0.5))


def test_model_without_the_protocol_is_rejected():
    with pytest.raises(TypeError, match='CAM network protocol.*extract_feat'):
        CAM_METHODS.build(dict(type='CAM'))(
            nn.Conv2d(3, 4, 1), torch.randn(1, 3, 8, 8), torch.ones(1, 4)
        )


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


# ---- the method hooks ------------------------------------------------------
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


@pytest.mark.parametrize('name', METHODS)
def test_methods_override_a_hook_not_the_call(name):
    assert '__call__' not in vars(CAM_METHODS.get(name))


class PlainGAPHead(GAPClassifierHead):
    """GAP + linear as its parent, through a forward of its own: no flag."""

    def forward(self, feats):
        return super().forward(feats)


def test_the_linear_cam_flag():
    assert tiny_cam_network().linear_cam
    assert tiny_cam_network(head=dict(type='KURHead')).linear_cam  # GAP + the kernel W^r
    assert not tiny_cam_network().train().linear_cam  # dropout may be on
    assert not PlainGAPHead.linear_cam  # a forward of its own drops the flag
    assert not getattr(LinearNet(torch.ones(4, 6)), 'linear_cam', False)


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
def test_a_head_without_the_flag_takes_the_gradient_path(monkeypatch, name, options):
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
    method = build(name, **options)
    fast_maps = method(fast, x, labels)
    assert not calls  # closed form
    general_maps = method(general, x, labels)
    assert calls  # backward passes through the head
    assert fast_maps.max() > 0
    assert torch.allclose(general_maps, fast_maps, rtol=0, atol=1e-5 * fast_maps.max())


def test_max_normalize_is_the_old_normalisers():
    torch.manual_seed(0)
    maps = torch.randn(2, 3, 5, 7)
    maps[0, 1] = 0  # an all-zero map stays zero
    positive = maps.clamp(min=0)
    # cams/multiscale.py's and Score-CAM's: a per-map max over the last two dims
    old_multiscale = positive / (positive.flatten(-2).max(dim=-1).values[..., None, None] + 1e-5)
    # CPN's normalize_maps(mode='max'): ReLU, then a per-map max over dims 2-3
    relu = F.relu(maps)
    old_cpn = relu / (relu.flatten(2).max(dim=-1).values[..., None, None] + 1e-5)
    assert torch.equal(max_normalize(positive), old_multiscale)
    assert torch.equal(max_normalize(relu), old_cpn)
    assert (max_normalize(positive)[0, 1] == 0).all()
    masks = positive[:, 0]  # (N, H, W) as Score-CAM's masks
    assert torch.equal(max_normalize(masks), old_multiscale[:, 0])


def test_advcam_spends_no_forward_pass_on_unused_features(model, monkeypatch):
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
