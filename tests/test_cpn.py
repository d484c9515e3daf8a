"""CPN: losses on hand-made cases, OHEM, the triplet training step, CAM inference
through the refinement hook, parameter groups, and the paper config at 448 x 448."""
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import DefaultScope
from mmengine.optim import build_optim_wrapper
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.cams import multiscale_cams
from wsss_mm.models.losses import ohem_mean
from wsss_mm.registry import CAM_METHODS, MODELS, TRANSFORMS

from conftest import ROOT


@pytest.fixture(scope='module', autouse=True)
def registered():
    wsss_mm.register_all_modules(init_default_scope=False)


# ---- losses -------------------------------------------------------------------
def test_ohem_keeps_each_samples_hardest_share():
    losses = torch.arange(20.).view(2, 10)
    assert ohem_mean(losses, 0.2) == (9 + 8 + 19 + 18) / 4
    assert ohem_mean(losses, 1.0) == losses.mean()
    assert ohem_mean(losses, 0.01) == (9 + 19) / 2  # at least one element
    with pytest.raises(ValueError, match='ratio'):
        ohem_mean(losses, 0)


def test_tcp_loss_hand_case_and_stop_gradient_on_the_pair():
    lam = torch.tensor([0.25])
    cams = [torch.ones(1, 1, 2, 2), torch.ones(1, 1, 2, 2, requires_grad=True),
            torch.zeros(1, 1, 2, 2)]
    refined = [torch.full((1, 1, 2, 2), 0.5), torch.ones(1, 1, 2, 2, requires_grad=True),
               torch.zeros(1, 1, 2, 2)]
    loss = MODELS.build(dict(type='TCPLoss', loss_weight=2.0))(cams, refined, lam)
    # |0.25 * 1 + 0.75 * 0 - 1| + |0.25 * 1 + 0.75 * 0 - 0.5|
    assert loss.item() == pytest.approx(2.0 * (0.75 + 0.25))
    loss.backward()
    assert cams[1].grad is None
    assert torch.allclose(refined[1].grad, torch.full((1, 1, 2, 2), 2.0 * 0.25 * -1 / 4))


@pytest.mark.parametrize('ohem_ratio,max_target,expected', [
    (1.0, False, 0.5 + 0.5), (0.5, False, 0.75 + 0.75), (1.0, True, 0.375 + 0.375)])
def test_cpcr_loss_hand_case(ohem_ratio, max_target, expected):
    # two channels, two pixels: channel-major [[ch0 p0, ch0 p1], [ch1 p0, ch1 p1]]
    cam_o = torch.tensor([[1., 0], [0, 1]]).view(1, 2, 1, 2)
    cam_h = torch.tensor([[1., 1], [0, 0]]).view(1, 2, 1, 2)
    cam_hbar = torch.tensor([[0., 0], [1, 1]]).view(1, 2, 1, 2)
    ref_h, ref_hbar = torch.ones(1, 2, 1, 2), torch.zeros(1, 2, 1, 2)
    loss = MODELS.build(dict(type='CPCRLoss', ohem_ratio=ohem_ratio, max_target=max_target))(
        [cam_o, cam_h, cam_hbar], [None, ref_h, ref_hbar], torch.tensor([0.5]))
    # |Y_o - λ Y_h - λ̄ Ỹ_h̄| = [0.5, 0.5, 0, 1] and |Y_o - λ̄ Y_h̄ - λ Ỹ_h| = [0.5, 0.5, 1, 0];
    # with the targets' channel maxima only: [0.5, 0, 0, 1] and [0.5, 0.5, 0.5, 0]
    assert loss.item() == pytest.approx(expected)


def test_min_pooling_loss_hand_case():
    maps = torch.tensor([[[0.1, 0.9], [0.3, -0.2]], [[0.2, 0.0], [0.1, -0.5]]])[None]
    # per-pixel maxima [0.2, 0.9, 0.3, -0.2]; the lowest half [-0.2, 0.2] -> ReLU -> mean
    assert MODELS.build(dict(type='AdaptiveMinPoolingLoss', ratio=0.5))(maps).item() == \
        pytest.approx(0.1)


# ---- the network --------------------------------------------------------------
def tiny_cpn(**kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='CPN',
        backbone=dict(type='mmpretrain.ResNet', depth=18, base_channels=8, stem_channels=8,
                      strides=(1, 2, 1, 1), out_indices=(1, 2, 3)),
        head=dict(type='GAPClassifierHead', in_channels=64, num_classes=4),
        pcm=dict(type='PCM', stage_channels=(16, 32), proj_channels=(4, 6), embed_channels=10),
        prcm=dict(type='PRCM', in_channels=13, embed_channels=10),
        loss_min_pool=dict(type='AdaptiveMinPoolingLoss'))
    cfg.update(kwargs)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


def cp_batch(size=32):
    samples = []
    for i, classes in enumerate(([0, 2], [1])):
        sample = SegDataSample()
        sample.gt_labels = torch.zeros(4)
        sample.gt_labels[classes] = 1
        mask = torch.zeros(size, size, dtype=torch.uint8)
        mask[:, :size // (2 + i)] = 1
        sample.set_data(dict(cp_mask=mask, cp_lambda=mask.float().mean()))
        samples.append(sample)
    return torch.randn(2, 3, size, size), samples


def grad_reach(model, loss):
    """The top-level modules whose parameters ``loss`` sends a nonzero gradient to."""
    model.zero_grad()
    loss.backward(retain_graph=True)
    return {name.split('.')[0] for name, p in model.named_parameters()
            if p.grad is not None and p.grad.abs().sum() > 0}


def test_triplet_losses_and_where_their_gradients_go():
    model = tiny_cpn().train()
    losses = model.loss(*cp_batch())
    assert set(losses) == {'loss_cls', 'loss_tcp', 'loss_cpcr', 'loss_min_pool'}
    assert all(torch.isfinite(v) and v >= 0 for v in losses.values())
    assert grad_reach(model, losses['loss_cls']) == {'backbone', 'head'}
    # TCP: the CAM term trains the network, the refined term the refinement
    assert grad_reach(model, losses['loss_tcp']) == {'backbone', 'head', 'pcm', 'prcm'}
    # CPCR's targets are detached CAMs, and the refinement never reaches the backbone
    assert grad_reach(model, losses['loss_cpcr']) == {'pcm', 'prcm'}
    assert grad_reach(model, losses['loss_min_pool']) == {'pcm', 'prcm'}


def test_ablation_switches():
    model = tiny_cpn(prcm=None, loss_cpcr=None, loss_min_pool=None).train()
    assert set(model.loss(*cp_batch())) == {'loss_cls', 'loss_tcp'}
    plain = SegDataSample()
    plain.gt_labels = torch.ones(4)
    with pytest.raises(KeyError, match='cp_mask'):
        model.loss(torch.randn(1, 3, 32, 32), [plain])
    with pytest.raises(ValueError, match='cam_norm'):
        tiny_cpn(cam_norm='sum')


def test_cam_inference_uses_the_refined_map():
    model = tiny_cpn().eval()
    images, labels = torch.randn(2, 3, 32, 32), torch.tensor([[1., 0, 1, 0], [0, 1, 0, 0]])
    method = CAM_METHODS.build(dict(type='CAM'))
    cams = multiscale_cams(method, model, images, labels, scales=(1.0, 0.5))
    assert cams.shape == (2, 4, 32, 32)
    assert (cams >= 0).all() and cams.max() <= 1 and (cams[labels == 0] == 0).all()
    # one scale, no flip: the refined map of Y_o less its minimum, upsampled, max-normalised
    with torch.no_grad():
        stage_feats, feats = model.extract_feats(images)
        refined = model.refine(images, stage_feats,
                               model.seed_maps(model.class_maps(feats), labels))[:, 1:]
    refined = refined - refined.flatten(2).min(-1).values[..., None, None]
    single = multiscale_cams(method, model, images, labels, scales=(1.0, ), flip=False)
    expected = torch.nn.functional.interpolate(refined * labels[:, :, None, None], (32, 32),
                                               mode='bilinear', align_corners=False)
    expected = expected / (expected.flatten(2).max(-1).values[..., None, None] + 1e-5)
    assert torch.allclose(single, expected, atol=1e-5)
    assert not torch.allclose(single, multiscale_cams(
        method, tiny_cpn(prcm=None).eval(), images, labels, scales=(1.0, ), flip=False))


# ---- parameter groups ----------------------------------------------------------
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
    wrapper = build_in_scope(net, dict(
        optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
        constructor='NewLayersOptimWrapperConstructor',
        paramwise_cfg=dict(new_layers=('head', 'absent'), new_lr_mult=10.0, bias_lr_mult=2.0)))
    setting = {id(p): (g['lr'], g['weight_decay'])
               for g in wrapper.optimizer.param_groups for p in g['params']}
    expected = {'backbone.0.weight': (0.01, 5e-4), 'backbone.0.bias': (0.02, 0),
                'backbone.1.weight': (0.02, 0), 'backbone.1.bias': (0.02, 0),
                'head.weight': (0.1, 5e-4), 'head.bias': (0.2, 0)}
    params = dict(net.named_parameters())
    assert len(setting) == len(expected)  # frozen parameters left out
    for name, (lr, wd) in expected.items():
        assert setting[id(params[name])] == pytest.approx((lr, wd)), name
    with pytest.raises(ValueError, match='new_layers'):
        build_in_scope(net, dict(optimizer=dict(type='SGD', lr=0.01),
                                      constructor='NewLayersOptimWrapperConstructor',
                                      paramwise_cfg=dict(custom_keys={})))


# ---- the paper config ----------------------------------------------------------
@pytest.mark.slow
def test_paper_config_train_step_at_448():
    """configs/cpn/cpn_r38_voc.py: three ResNet-38d branches at 448 x 448, all
    losses, backward, and its optimizer's parameter groups (batch 1)."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'cpn', 'cpn_r38_voc.py'))
    model = MODELS.build(cfg.model).train()
    np.random.seed(0)
    img = np.random.randint(0, 255, (14, 14, 3), np.uint8).repeat(32, 0).repeat(32, 1)
    labels = np.zeros(20, np.float32)
    labels[[4, 14]] = 1
    results = dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], gt_labels=labels)
    for step in cfg.train_dataloader.dataset.pipeline[-2:]:
        results = TRANSFORMS.build(step)(results)
    data = model.data_preprocessor(pseudo_collate([results]), True)
    assert data['inputs'].shape == (1, 3, 448, 448)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_tcp', 'loss_cpcr'}
    sum(losses.values()).backward()
    assert all(torch.isfinite(v) for v in losses.values())
    grads = {n: p.grad for n, p in model.named_parameters()}
    assert grads['head.classifier.weight'] is not None
    assert grads['backbone.b7.conv_branch2b2.weight'] is not None
    assert grads['pcm.embed.weight'] is not None and grads['prcm.key.weight'] is not None
    assert grads['backbone.conv1a.weight'] is None  # frozen stages
    groups = build_in_scope(model, cfg.optim_wrapper).optimizer.param_groups
    assert sorted((g['lr'], g['weight_decay'], len(g['params'])) for g in groups) == [
        (0.01, 5e-4, sum(p.requires_grad for n, p in model.named_parameters()
                         if n.startswith('backbone'))),
        (0.1, 5e-4, 5)]  # head, 2 PCM projections, PCM embedding, PRCM keys: no biases
