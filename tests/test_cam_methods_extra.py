"""Grad-CAM++, Score-CAM, the MinMax family, AdvCAM and the KUR head on tiny
models whose answers are known by hand; bad input for every method."""

import glob
import os.path as osp
import shutil

import numpy as np
import pytest
import torch
import torch.nn as nn
from analysis_tools.advcam_reference import reference_advcam
from conftest import ROOT, LinearNet, build_method, tiny_cam_network
from mmengine.config import Config
from mmengine.registry import DefaultScope
from PIL import Image

from wsss_mm.apis import infer_cams
from wsss_mm.apis.train import load_config
from wsss_mm.cams import cam_path, check_cam_network, load_cam_file, multi_hot, multiscale_cams
from wsss_mm.models.heads import GAPClassifierHead, KURHead
from wsss_mm.registry import CAM_METHODS, MODELS

METHODS = sorted(CAM_METHODS.module_dict)
build = build_method


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


@pytest.fixture(scope='module')
def model():
    return tiny_cam_network()


LABELS = torch.tensor([[1.0, 0, 1, 0], [0, 1, 1, 1]])


# ---- the MinMax family ------------------------------------------------------
# W (C = 3, K = 2) and two one-hot feature channels on a 2 x 2 grid
W = [[2.0, -3.0], [1.0, 1.0], [-1.0, 2.0]]
FEATS = torch.tensor([[[[1.0, 0], [0, 0]], [[0, 0], [0, 1]]]])


def test_minmax_cam_subtracts_the_other_present_classes_by_hand():
    maps = build('MinMaxCAM')(LinearNet(W), FEATS, torch.tensor([[1.0, 0, 1]]))
    # c = 0: W0 - W2 = (3, -5); c = 2: W2 - W0 = (-3, 5); ReLU per channel cell
    assert torch.allclose(maps[0, 0], torch.tensor([[3.0, 0], [0, 0]]))
    assert torch.allclose(maps[0, 2], torch.tensor([[0.0, 0], [0, 5]]))
    assert (maps[0, 1] == 0).all()


def test_d_minmax_terms_by_hand_in_both_forms():
    labels = torch.tensor([[1.0, 0, 1]])
    for form in ('cam', 'grad'):
        maps = build('DMinMaxCAM', form=form)(LinearNet(W), FEATS, labels)
        # c = 0: ReLU(W0) - ReLU(W2) / 1 + min(0, W0 + W2) / 2 = (2, -2.5)
        # c = 2: ReLU(W2) - ReLU(W0) / 1 + min(0, W0 + W2) / 2 = (-2, 1.5)
        assert torch.allclose(maps[0, 0], torch.tensor([[2.0, 0], [0, 0]]))
        assert torch.allclose(maps[0, 2], torch.tensor([[0.0, 0], [0, 1.5]]))


def test_detected_classes_as_the_other_classes():
    net = LinearNet(W)
    feats = FEATS * torch.tensor([4.0, 0])[:, None, None]  # logits (2, 1, -1): 0, 1 detected
    by_labels = build('MinMaxCAM')(net, feats, torch.tensor([[1.0, 0, 0]]))
    detected = build('MinMaxCAM', others='detected')(net, feats, torch.tensor([[1.0, 0, 0]]))
    assert torch.allclose(by_labels[0, 0], feats[0, 0] * 2)  # alone: CAM, W0 = (2, -3)
    assert torch.allclose(detected[0, 0], feats[0, 0] * 1)  # N_x = {1}: W0 - W1 = (1, -4)
    with pytest.raises(ValueError, match='others'):
        build('MinMaxCAM', others='predicted')


def test_minmax_equals_cam_with_one_present_class(model):
    x = torch.randn(2, 3, 32, 32)
    labels = torch.tensor([[0.0, 1, 0, 0], [0, 0, 0, 1]])
    cam = build('CAM')(model, x, labels)
    for name in ('MinMaxCAM', 'DMinMaxCAM'):
        assert torch.allclose(build(name)(model, x, labels), cam, atol=1e-5)
    grad_cam = build('MinMaxGradCAM')(model, x, labels)
    assert torch.allclose(grad_cam, cam, rtol=1e-4, atol=1e-5)


def test_gradient_forms_equal_cam_forms_for_a_gap_linear_head(model):
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(
        build('MinMaxGradCAM')(model, x, LABELS),
        build('MinMaxCAM')(model, x, LABELS),
        rtol=1e-4,
        atol=1e-5,
    )
    assert torch.allclose(
        build('DMinMaxCAM', form='grad')(model, x, LABELS),
        build('DMinMaxCAM')(model, x, LABELS),
        rtol=1e-4,
        atol=1e-5,
    )


# ---- Grad-CAM++ and Score-CAM -----------------------------------------------
def test_grad_cam_plus_plus_closed_form_for_a_gap_linear_head(model):
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        feats = model.extract_feat(x)
    w = model.cam_weights()
    # g = W/hw everywhere: alpha = 1 / (2 + mean(A_k) W_ck), weight = ReLU(W_ck) alpha
    weights = w.clamp(min=0) / (2 + feats.mean(dim=(2, 3))[:, None] * w)
    expected = (
        torch.einsum('bck,bkhw->bchw', weights, feats).clamp(min=0) * LABELS[:, :, None, None]
    )
    assert torch.allclose(
        build('GradCAMPlusPlus')(model, x, LABELS), expected, rtol=1e-4, atol=1e-6
    )


def test_score_cam_scores_each_channel_masked_image():
    torch.manual_seed(0)
    net, feats = LinearNet(torch.randn(3, 4)), torch.rand(2, 4, 5, 5)
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
        maps = build('ScoreCAM', batch_size=batch_size)(net, feats, labels)
        assert torch.allclose(maps, expected, atol=1e-5)


# ---- KUR -------------------------------------------------------------------
def test_kur_alpha_keeps_the_weights_variance():
    torch.manual_seed(0)
    for alpha, ratio in ((None, 1.0), (1, 1 / 20**2)):
        head = KURHead(in_channels=512, num_classes=20, alpha=alpha)
        nn.init.normal_(head.classifier.weight, std=0.01)
        ratio_now = float(head.cam_weights().var() / head.classifier.weight.var())
        assert ratio_now == pytest.approx(ratio, rel=0.05)


def test_kur_effective_kernel_drives_logits_and_cams():
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
    assert torch.allclose(build('CAM')(net, x, torch.ones(2, 4)), expected, atol=1e-6)


# ---- AdvCAM ----------------------------------------------------------------
@pytest.mark.parametrize('base', ['GradCAM', 'CAM', 'GradCAMPlusPlus', 'MinMaxCAM', 'ScoreCAM'])
def test_advcam_without_steps_is_its_base(model, base):
    x = torch.randn(2, 3, 32, 32)
    adv = build('AdvCAM', steps=0, base=dict(type=base))(model, x, LABELS)
    assert torch.allclose(adv, build(base)(model, x, LABELS), rtol=1e-5, atol=1e-7)


def test_advcam_batch_equals_a_per_class_loop(model):
    x = torch.randn(2, 3, 32, 32)
    method = build('AdvCAM', steps=3)
    batched = method(model, x, LABELS)
    for img, cls in LABELS.nonzero().tolist():
        row = method.climb(model, x[img : img + 1], LABELS[img : img + 1], torch.tensor([cls]))
        assert torch.allclose(batched[img, cls], row[0], rtol=1e-4, atol=1e-4 * row.max())
    assert (batched[LABELS == 0] == 0).all()


def test_advcam_generic_head_path():
    net = tiny_cam_network()
    net.head = SquareHead(in_channels=64, num_classes=4).eval()
    assert not net.linear_cam  # a head with another forward loses the flag
    x = torch.randn(2, 3, 32, 32)
    assert torch.allclose(
        build('AdvCAM', steps=0)(net, x, LABELS),
        build('GradCAM')(net, x, LABELS),
        rtol=1e-5,
        atol=1e-8,
    )
    method = build('AdvCAM', steps=2)
    batched = method(net, x, LABELS)
    row = method.climb(net, x[1:], LABELS[1:], torch.tensor([2]))
    assert torch.allclose(batched[1, 2], row[0], rtol=1e-4, atol=1e-4 * row.max())


def test_advcam_climbing_grows_the_map_and_the_mask_freezes_high_regions():
    net, x = PixelNet().eval(), torch.randn(1, 3, 16, 16)
    labels, cls = torch.tensor([[1.0, 1]]), torch.tensor([0])
    free = list(build('AdvCAM', steps=10, reg_coeff=0).climb_steps(net, x, labels, cls))
    held = list(build('AdvCAM', steps=10).climb_steps(net, x, labels, cls))  # λ = 7
    init = held[0]
    assert torch.equal(init, free[0]) and len(held) == 11
    high = init > 0.5 * init.max()  # the restricting mask of x^0
    drift = [float((m - init)[high].abs().max() / init.max()) for m in held]
    assert max(drift) < 0.05  # held within 5% of the t = 0 map
    assert float((free[-1] - init)[high].abs().max() / init.max()) > 0.15
    assert held[-1][~high].sum() > 1.2 * init[~high].sum()  # the rest still grows


def test_advcam_step_and_scale_rules():
    method = build('AdvCAM', steps=27, step_size=0.5)
    assert method.at_scale(0.5).steps == 13 and method.steps == 27
    assert method.at_scale(1.5) is method
    assert method.num_maps == 28 and build('AdvCAM', preset='authors', steps=27).num_maps == 27
    assert build('AdvCAM', preset='authors', steps=0).num_maps == 1  # the base map
    x, grad = torch.zeros(1, 3, 2, 2), torch.full((1, 3, 2, 2), 4.0)
    x[0, 0, 0, 0], x[0, 1, 0, 0], grad[0, 0, 0, 0] = -1, 0.3, -8
    step = method.ascend(x, grad)  # 0.5 * grad / 8, clamped to x's range [-1, 0.3]
    assert step[0, 0, 0, 0] == -1 and step[0, 2, 0, 0] == 0.25 and step[0, 1, 0, 0] == 0.3
    raw = build('AdvCAM', step_size=0.1, grad_norm='none').ascend(x, grad)
    assert raw[0, 2, 0, 0] == 0.3 and torch.isclose(raw[0, 0, 0, 0], torch.tensor(-1.0))


def test_advcam_presets_and_options():
    authors = build('AdvCAM', preset='authors')
    assert (authors.score, authors.reg_reduce, authors.flip_pairs, authors.include_last) == (
        'relu_cam',
        'sum',
        True,
        False,
    )
    assert (authors.base.reduce, authors.base.score) == ('positive_mean', 'relu_cam_sum')
    assert build('AdvCAM', preset='authors', reg_coeff=3).reg_coeff == 3  # options override
    with pytest.raises(ValueError, match='preset'):
        build('AdvCAM', preset='code')
    with pytest.raises(TypeError, match=r"no option \['lambda'\]"):
        build('AdvCAM', **{'lambda': 7})
    with pytest.raises(ValueError, match='reg_reduce'):
        build('AdvCAM', reg_reduce='max')


def test_advcam_flip_pairs_need_a_flip_batch(model):
    method = build('AdvCAM', preset='authors', steps=1)
    x = torch.randn(1, 3, 32, 32)
    with pytest.raises(ValueError, match=r'cat\(\[x, x.flip\(-1\)\]\)'):
        method(model, torch.cat([x, torch.randn(1, 3, 32, 32)]), LABELS[:1].repeat(2, 1))
    maps = method(model, torch.cat([x, x.flip(-1)]), LABELS[:1].repeat(2, 1))
    assert maps.shape == (2, 4, 4, 4) and (maps[:, LABELS[0] == 0] == 0).all()


def test_advcam_authors_preset_equals_the_authors_loop_in_float64(model):
    """The batched preset against tools/analysis_tools/advcam_reference.py, an
    independent transcription of the authors' hooked, per-class, per-scale loop."""
    net = tiny_cam_network().double()
    torch.manual_seed(1)
    x = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    labels = LABELS.double()
    method = build('AdvCAM', preset='authors', steps=12)  # > 10: the authors' T // 2 at 0.5
    batched = multiscale_cams(method, net, x, labels, scales=(1.0, 0.5))
    for img in range(2):
        ref = reference_advcam(
            net, x[img : img + 1], labels[img], 'backbone.layer4', scales=(1.0, 0.5), adv_iter=12
        )
        assert torch.allclose(batched[img], ref, rtol=0, atol=1e-10)
    # the climbing changed the maps: the reference is not the t = 0 map
    base = multiscale_cams(
        build('AdvCAM', preset='authors', steps=0), net, x, labels, scales=(1.0, 0.5)
    )
    assert (batched - base).abs().max() > 1e-2


def test_advcam_multiscale_without_steps_equals_its_base(model):
    x = torch.randn(1, 3, 32, 32)
    kwargs = dict(model=model, inputs=x, labels=LABELS[:1], scales=(1.0, 0.5))
    assert torch.allclose(
        multiscale_cams(build('AdvCAM', steps=0), **kwargs),
        multiscale_cams(build('GradCAM'), **kwargs),
        atol=1e-6,
    )


def test_advcam_rejects_a_training_model_and_a_base_without_weights():
    with pytest.raises(ValueError, match='eval mode'):
        build('AdvCAM')(tiny_cam_network().train(), torch.randn(1, 3, 32, 32), LABELS[:1])
    with pytest.raises(TypeError, match='; AdvCAM does not'):
        build('AdvCAM', base=dict(type='AdvCAM'))  # maps, no channel weights
    with pytest.raises(ValueError, match='suppress'):
        build('AdvCAM', suppress='none')


# ---- every method: frozen parameters, bad input ----------------------------
@pytest.mark.parametrize('name', METHODS)
def test_requires_grad_flags_of_a_partly_frozen_model_are_kept(name):
    net = tiny_cam_network()
    net.backbone.conv1.requires_grad_(False)
    flags = {k: p.requires_grad for k, p in net.named_parameters()}
    build(name)(net, torch.randn(1, 3, 32, 32), LABELS[:1])
    assert {k: p.requires_grad for k, p in net.named_parameters()} == flags
    assert all(p.grad is None for p in net.parameters())


@pytest.mark.parametrize('name', METHODS)
def test_bad_input_for_every_method(model, name):
    method, x = build(name), torch.randn(2, 3, 32, 32)
    with pytest.raises(ValueError, match='5 classes but the model has C = 4'):
        method(model, x, torch.ones(2, 5))
    with pytest.raises(ValueError, match=r'\(B, C\) = \(2, 4\)'):
        method(model, x, torch.ones(2, 0))  # an empty label vector
    with pytest.raises(TypeError, match='CAM network protocol'):
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


# ---- AdvCAM through the pipeline -------------------------------------------
QUICKSTART_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'quickstart', '*.py')))


@pytest.mark.parametrize('path', QUICKSTART_CONFIGS, ids=osp.basename)
def test_advcam_on_every_quickstart_cam_network(path):
    cfg = Config.fromfile(path)
    try:
        check_cam_network(MODELS.get(cfg.model.type))  # the class: no need to build
    except TypeError:
        pytest.skip('not a CAM network')
    net = MODELS.build(cfg.model).eval()
    labels = torch.zeros(1, net.cam_weights().shape[0])
    labels[0, [2, 5]] = 1
    maps = multiscale_cams(
        build('AdvCAM', steps=1), net, torch.randn(1, 3, 32, 32), labels, scales=(1.0,)
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
