"""CPN: the triplet training step (losses and where their gradients go, BN statistics),
CAM inference through the refinement hook, the paper config at 448 x 448, and the
quickstart configs (learning rates, loading a CAM checkpoint)."""

import inspect
import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.cams import multiscale_cams
from wsss_mm.models.heads import GAPClassifierHead
from wsss_mm.registry import CAM_METHODS, MODELS, TRANSFORMS


@pytest.fixture(scope='module', autouse=True)
def registered():
    wsss_mm.register_all_modules(init_default_scope=False)


# ---- the network --------------------------------------------------------------
def tiny_cpn(**kwargs):
    torch.manual_seed(0)
    cfg = dict(
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
        loss_min_pool=dict(type='AdaptiveMinPoolingLoss'),
    )
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
        mask[:, : size // (2 + i)] = 1
        sample.set_data(dict(cp_mask=mask, cp_lambda=mask.float().mean()))
        samples.append(sample)
    return torch.randn(2, 3, size, size), samples


def grad_reach(model, loss):
    """The top-level modules whose parameters ``loss`` sends a nonzero gradient to."""
    model.zero_grad()
    loss.backward(retain_graph=True)
    return {
        name.split('.')[0]
        for name, p in model.named_parameters()
        if p.grad is not None and p.grad.abs().sum() > 0
    }


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
    with pytest.raises(ValueError, match='triplet_forward'):
        tiny_cpn(triplet_forward='mixed')
    with pytest.raises(ValueError, match='bg_order'):
        MODELS.build(dict(type='CPCRLoss', bg_order='paper'))


def full_image_head_io(model, images, samples):
    """The head's input feature map and logits of the full images ``I`` (the
    first B of the 3B rows) during ``model.loss``."""
    seen = {}
    handle = model.head.register_forward_hook(
        lambda module, args, out: seen.update(feats=args[0].detach(), logits=out.detach())
    )
    model.loss(images, samples)
    handle.remove()
    return seen['feats'][: len(images)], seen['logits'][: len(images)]


@pytest.mark.parametrize('triplet_forward', ['separate', 'joint'])
def test_full_image_branch_ignores_the_hidden_pair_only_when_separate(triplet_forward):
    """Train-mode BN: with one pass per branch the maps of I use I's batch
    statistics only, so another CP mask leaves them unchanged; one joint pass
    normalises them with the pair's statistics too."""
    model = tiny_cpn(triplet_forward=triplet_forward).train()
    assert not model.freeze_bn and model.backbone.bn1.training
    images, samples = cp_batch()
    other = [s.clone() for s in samples]
    for s in other:  # hide rows instead of columns (swapping I_h and I_h̄ would not
        s.cp_mask = s.cp_mask.T.contiguous()  # change the joint batch's statistics)
    feats, logits = full_image_head_io(model, images, samples)
    feats_other, logits_other = full_image_head_io(model, images, other)
    same = torch.equal(feats, feats_other) and torch.equal(logits, logits_other)
    assert same == (triplet_forward == 'separate')


def bn_buffers(model):
    return {
        name: buf.clone()
        for name, buf in model.named_buffers()
        if 'running' in name or 'num_batches_tracked' in name
    }


@pytest.mark.parametrize('triplet_forward', ['separate', 'joint'])
def test_only_the_full_images_update_bn_running_stats(triplet_forward):
    """After a 'separate' step the BN buffers (running mean / var and
    ``num_batches_tracked``) are those of a plain forward over I alone."""
    images, samples = cp_batch()
    model = tiny_cpn(triplet_forward=triplet_forward).train()
    before = bn_buffers(model)
    model.loss(images, samples)
    plain = tiny_cpn().train()
    with torch.no_grad():
        plain.extract_feats(images)
    after, expected = bn_buffers(model), bn_buffers(plain)
    assert after.keys() == expected.keys() and len(after) > 0
    assert any(not torch.equal(before[k], after[k]) for k in after)
    matches = all(torch.equal(after[k], expected[k]) for k in after)
    assert matches == (triplet_forward == 'separate')
    # the switch is restored: a later forward tracks the statistics again
    assert all(
        m.track_running_stats
        for m in model.modules()
        if isinstance(m, nn.modules.batchnorm._BatchNorm)
    )


def test_frozen_bn_makes_the_triplet_passes_equal():
    images, samples = cp_batch()
    out = {
        mode: full_image_head_io(
            tiny_cpn(triplet_forward=mode, freeze_bn=True).train(), images, samples
        )
        for mode in ('separate', 'joint')
    }
    for a, b in zip(out['separate'], out['joint']):
        assert torch.allclose(a, b, atol=1e-5)


def test_cam_inference_uses_the_refined_map():
    model = tiny_cpn().eval()
    images, labels = torch.randn(2, 3, 32, 32), torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 0]])
    method = CAM_METHODS.build(dict(type='CAM'))
    cams = multiscale_cams(method, model, images, labels, scales=(1.0, 0.5))
    assert cams.shape == (2, 4, 32, 32)
    assert (cams >= 0).all() and cams.max() <= 1 and (cams[labels == 0] == 0).all()
    # one scale, no flip: the refined map of Y_o less its minimum, upsampled, max-normalised
    with torch.no_grad():
        stage_feats, feats = model.extract_feats(images)
        refined = model.refine(
            images, stage_feats, model.seed_maps(model.class_maps(feats), labels)
        )[:, 1:]
    refined = refined - refined.flatten(2).min(-1).values[..., None, None]
    single = multiscale_cams(method, model, images, labels, scales=(1.0,), flip=False)
    expected = torch.nn.functional.interpolate(
        refined * labels[:, :, None, None], (32, 32), mode='bilinear', align_corners=False
    )
    expected = expected / (expected.flatten(2).max(-1).values[..., None, None] + 1e-5)
    assert torch.allclose(single, expected, atol=1e-5)
    assert not torch.allclose(
        single,
        multiscale_cams(
            method, tiny_cpn(prcm=None).eval(), images, labels, scales=(1.0,), flip=False
        ),
    )
    # infer_refined=False: the network's own CAM
    model.infer_refined = False
    own = torch.nn.functional.interpolate(
        method(model, images, labels), (32, 32), mode='bilinear', align_corners=False
    )
    own = own / (own.flatten(2).max(-1).values[..., None, None] + 1e-5)
    assert torch.allclose(
        multiscale_cams(method, model, images, labels, scales=(1.0,), flip=False), own, atol=1e-6
    )


def test_sum_minmax_inference_is_infer_cam_py(monkeypatch):
    """infer_aggregation='sum_minmax' against Ferenas/CPN's infer_cam.py, transcribed
    here, on hand-made refined maps (with a floor) at four scales and their flips: each
    map upsampled to its input (corners aligned), then to the image (not aligned),
    label-masked, mirrored back, summed, the sum min-max normalised (the code's halving
    after that is a constant factor that the background-threshold sweep absorbs)."""
    model = tiny_cpn(infer_aggregation='sum_minmax').eval()
    images, labels = torch.randn(1, 3, 20, 24), torch.tensor([[1.0, 0, 1, 0]])
    scales = (0.5, 1.0, 1.5, 2.0)
    made = {}  # input size -> the network's maps of the image and of its mirror image

    def hand_made_refine(inputs, stage_feats, seeds):
        gen = torch.Generator().manual_seed(inputs.shape[-1])
        maps = 0.3 + torch.rand(seeds.shape, generator=gen)  # a floor of 0.3
        made[tuple(inputs.shape[-2:])] = maps
        return maps

    monkeypatch.setattr(model, 'refine', hand_made_refine)
    method = CAM_METHODS.build(dict(type='CAM'))
    ours = multiscale_cams(method, model, images, labels, scales=scales, flip=True)
    assert len(made) == len(scales)

    # infer_cam.py: cam_list over (scale, flip) of the network's cam_rv (fea_final
    # upsampled to its input with align_corners=True), F.upsample(cam[:, 1:],
    # orig_img_size, align_corners=False) * label, np.flip for the mirror images
    cam_list = []
    for size, maps in made.items():
        for i in range(2):
            cam_rv = F.interpolate(maps[i : i + 1], size, mode='bilinear', align_corners=True)
            cam = F.interpolate(cam_rv[:, 1:], (20, 24), mode='bilinear', align_corners=False)[0]
            cam = cam.numpy() * labels[0].view(4, 1, 1).numpy()
            cam_list.append(np.flip(cam, axis=-1) if i % 2 == 1 else cam)
    sum_cam = np.sum(cam_list, axis=0)
    sum_cam[sum_cam < 0] = 0
    cam_max = np.max(sum_cam, (1, 2), keepdims=True)
    cam_min = np.min(sum_cam, (1, 2), keepdims=True)
    sum_cam[sum_cam < cam_min + 1e-5] = 0
    norm_cam = (sum_cam - cam_min - 1e-5) / (cam_max - cam_min + 1e-5)
    norm_cam[labels[0].numpy() == 0] = 0  # absent classes are not stored
    # the code zeroes the values at the minimum BEFORE subtracting it, which leaves
    # -min / (max - min) there: below any background score (its sweep: 0.20-0.59), as
    # our 0 is
    assert (norm_cam < 0).any()
    norm_cam = np.maximum(norm_cam, 0)

    assert torch.allclose(ours[0], torch.from_numpy(norm_cam).float(), atol=1e-5)
    assert ours[0, 0].min() == 0 and ours[0, 0].max() == pytest.approx(1, abs=1e-4)
    # the former aggregation keeps a floor on this image's background
    model.infer_aggregation = 'shift_max'
    made.clear()
    shifted = multiscale_cams(method, model, images, labels, scales=scales, flip=True)
    assert not torch.allclose(shifted, ours, atol=1e-2)


def code_losses(cams, rvs, label, ctri, size):
    """Ferenas/CPN's train_cpn.py objective less L_cls, transcribed: ``cams`` / ``rvs``
    the raw (N, C + 1, h, w) outputs of fc8 and of the refinement for I, I_h, I_h̄
    (channel 0 unused), upsampled to the input size as the network returns them;
    channel 0 set to 1 - max(fg) out of place (the code writes it in place)."""
    c = cams[0].shape[1]

    def up(x):
        return F.interpolate(x, size, mode='bilinear', align_corners=True)

    def max_norm(p, e=1e-5):  # tool/visualization.py, 4-D
        p = F.relu(p)
        n = p.shape[0]
        max_v = torch.max(p.view(n, c, -1), dim=-1)[0].view(n, c, 1, 1)
        min_v = torch.min(p.view(n, c, -1), dim=-1)[0].view(n, c, 1, 1)
        return F.relu(p - min_v - e) / (max_v - min_v + e)

    def min_pool(x):  # adaptive_min_pooling_loss
        n, _, h, w = x.size()
        k = h * w // 4
        x = torch.max(x, dim=1)[0]
        y = torch.topk(x.view(n, -1), k=k, dim=-1, largest=False)[0]
        return torch.sum(F.relu(y)) / (k * n)

    def with_bg(x):
        return torch.cat([1 - x[:, 1:].max(dim=1, keepdim=True)[0], x[:, 1:]], dim=1)

    def max_onehot(x):
        return torch.where(x == x.max(dim=1, keepdim=True)[0], x, torch.zeros_like(x))

    label = torch.cat([torch.ones(len(label), 1), label], dim=1)[..., None, None]
    ctri = ctri.view(-1, 1, 1, 1)
    cam, cam1, cam2 = (up(x) for x in cams)
    rv, rv1, rv2 = (up(x) for x in rvs)
    loss_rvmin = sum(min_pool((r * label)[:, 1:]) for r in (rv, rv1, rv2)) / 3
    cam, rv = max_norm(cam) * label, max_norm(rv) * label
    cam1, rv1 = (ctri * max_norm(x) * label for x in (cam1, rv1))
    cam2, rv2 = ((1 - ctri) * max_norm(x) * label for x in (cam2, rv2))
    loss_tcp = torch.mean(torch.abs(cam2[:, 1:].detach() + cam1[:, 1:].detach() - cam[:, 1:]))
    loss_tcp = loss_tcp + torch.mean(torch.abs(rv[:, 1:] - rv1[:, 1:] - rv2[:, 1:]))
    cam, cam1, cam2, rv1, rv2 = (with_bg(x) for x in (cam, cam1, cam2, rv1, rv2))
    ns, cs, hs, ws = cam.size()
    k = int(cs * hs * ws * 0.2)
    loss_cpcr = sum(
        torch.mean(
            torch.topk(torch.abs(max_onehot(cam.detach() - a.detach()) - b).view(ns, -1), k)[0]
        )
        for a, b in ((cam1, rv2), (cam2, rv1))
    )
    return dict(loss_tcp=loss_tcp, loss_cpcr=loss_cpcr, loss_min_pool=loss_rvmin)


@pytest.mark.parametrize('resolution,size', [('input', (9, 9)), ('cams', (3, 3))])
def test_code_form_losses_are_train_cpn_py(resolution, size):
    """The code form of the losses (min-max normalisation, L_cpcr's channel-max target
    and background after the λ weighting, the min-pooling term, the maps upsampled to
    the input size) against train_cpn.py transcribed (code_losses): values and gradients
    on a hand case of two images with one absent class each and a background corner."""
    model = tiny_cpn(
        cam_norm='minmax',
        loss_resolution=resolution,
        loss_cpcr=dict(type='CPCRLoss', bg_order='after_scaling', max_target=True),
    )
    labels = torch.tensor([[1.0, 0, 1, 0], [0, 1, 1, 1]])
    lam = torch.tensor([0.6, 0.3])
    gen = torch.Generator().manual_seed(0)
    maps = torch.rand(2, 3, 2, 5, 3, 3, generator=gen) * 2 - 0.5  # image, branch, CAM / refined
    maps[..., 1:, 1:] = maps[..., 1:, 1:] + 1.5  # the objects: bottom-right
    raw = [[maps[:, b, kind].clone().requires_grad_() for b in range(3)] for kind in range(2)]
    expected = code_losses(raw[0], raw[1], labels, lam, size)
    mine = [[x.detach().clone().requires_grad_() for x in kind] for kind in raw]
    ours = model.refinement_losses(
        torch.cat(mine[0])[:, 1:], torch.cat(mine[1])[:, 1:], labels.repeat(3, 1), lam, size
    )
    assert set(ours) == set(expected)
    for name, value in expected.items():
        assert ours[name].item() == pytest.approx(value.item(), rel=1e-5)
        grads = torch.autograd.grad(value, raw[0] + raw[1], allow_unused=True, retain_graph=True)
        our_grads = torch.autograd.grad(
            ours[name], mine[0] + mine[1], allow_unused=True, retain_graph=True
        )
        for g, ours_g in zip(grads, our_grads):
            if g is None:
                assert ours_g is None or not ours_g.any()
                continue
            assert torch.equal(torch.sign(g[:, 1:]), torch.sign(ours_g[:, 1:]))
            assert torch.allclose(g[:, 1:], ours_g[:, 1:], atol=1e-6)
    # L_cpcr pushes the refined map of I_h̄ up on some cells and down on others
    # (the code's background after the λ weighting: "anti all-background")
    grad = torch.autograd.grad(ours['loss_cpcr'], mine[1][2])[0][:, 1:]
    assert (grad < 0).any() and (grad > 0).any()


def test_losses_on_present_classes_equal_those_on_all_channels():
    """refinement_losses runs on each image's present classes plus one absent one;
    the losses on all C label-masked channels are the same, values and gradients."""
    model = tiny_cpn(
        cam_norm='minmax',
        loss_resolution='input',
        loss_cpcr=dict(type='CPCRLoss', bg_order='after_scaling', max_target=True),
    )
    torch.manual_seed(1)
    cams = torch.randn(6, 4, 5, 5, requires_grad=True)
    refined = torch.rand(6, 4, 5, 5, requires_grad=True)
    labels = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 0]]).repeat(3, 1)
    lam = torch.tensor([0.3, 0.6])
    ours = model.refinement_losses(cams, refined, labels, lam, (9, 9))
    up_cams, up_refined = (
        F.interpolate(x, (9, 9), mode='bilinear', align_corners=True) for x in (cams, refined)
    )
    cam_maps = model.loss_maps(up_cams, labels).chunk(3)
    ref_maps = model.loss_maps(up_refined, labels).chunk(3)
    full = dict(
        loss_tcp=model.loss_tcp(cam_maps, ref_maps, lam),
        loss_cpcr=model.loss_cpcr(cam_maps, ref_maps, lam),
        loss_min_pool=model.loss_min_pool(up_refined * labels[:, :, None, None]),
    )
    for name, value in full.items():
        assert ours[name].item() == pytest.approx(value.item(), rel=1e-6)
        for a, b in zip(
            torch.autograd.grad(ours[name], (cams, refined), allow_unused=True, retain_graph=True),
            torch.autograd.grad(value, (cams, refined), allow_unused=True, retain_graph=True),
        ):
            assert (a is None and b is None) or torch.allclose(a, b, atol=1e-7)


def test_loss_cams_share_the_logits_dropout():
    """loss_cam_dropout: the CAMs of the losses are those of the head's dropped-out
    features, whose GAP gives the logits (one draw); otherwise the logits alone see it."""

    class DropFirstChannels(nn.Module):  # a deterministic stand-in for Dropout2d
        def forward(self, x):
            return torch.cat([torch.zeros_like(x[:, :32]), 2 * x[:, 32:]], dim=1)

    images, samples = cp_batch()
    losses = {}
    for shared in (True, False):
        model = tiny_cpn(
            head=dict(type='GAPClassifierHead', in_channels=64, num_classes=4, dropout=0.5),
            loss_cam_dropout=shared,
        ).train()
        model.head.dropout = DropFirstChannels()
        losses[shared] = model.loss(images, samples)
    assert losses[True]['loss_cls'].item() == pytest.approx(losses[False]['loss_cls'].item())
    assert losses[True]['loss_tcp'].item() != pytest.approx(losses[False]['loss_tcp'].item())
    with pytest.raises(ValueError, match='loss_cam_dropout'):  # logits not the maps' GAP
        tiny_cpn(
            head=dict(type=NonLinearHead, in_channels=64, num_classes=4), loss_cam_dropout=True
        )


class NonLinearHead(GAPClassifierHead):
    def forward(self, feats):
        return super().forward(feats.relu())


def test_unmasked_seeds_let_absent_classes_take_pixels():
    model = tiny_cpn()
    cams = torch.zeros(1, 4, 2, 2)
    cams[0, 0] = torch.tensor([[1.0, 0.5], [0.2, 0.0]])  # present
    cams[0, 1] = torch.tensor([[0.5, 1.0], [0.0, 0.0]])  # absent, stronger at one pixel
    labels = torch.tensor([[1.0, 0, 0, 0]])
    masked = model.seed_maps(cams, labels)
    assert masked[0, 2].sum() == 0 and masked[0, 1, 0, 1] == pytest.approx(0.5, abs=1e-4)
    model.seed_label_mask = False
    unmasked = model.seed_maps(cams, labels)
    assert unmasked[0, 2, 0, 1] > 0.99 and unmasked[0, 1, 0, 1] == 0
    assert unmasked[0, 0, 0, 1] < 0.01  # the background of Eq. 16 sees the absent class


# ---- the paper config ----------------------------------------------------------
@pytest.mark.slow
def test_paper_config_train_step_at_448(repo_root):
    """configs/cpn/cpn_r38_voc.py: three ResNet-38d branches at 448 x 448, all
    losses, backward, and its optimizer's parameter groups (batch 1)."""
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'cpn', 'cpn_r38_voc.py'))
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
    with DefaultScope.overwrite_default_scope('wsss_mm'):
        groups = build_optim_wrapper(model, cfg.optim_wrapper).optimizer.param_groups
    assert sorted((g['lr'], g['weight_decay'], len(g['params'])) for g in groups) == [
        (
            0.01,
            5e-4,
            sum(p.requires_grad for n, p in model.named_parameters() if n.startswith('backbone')),
        ),
        (0.1, 5e-4, 5),
    ]  # head, 2 PCM projections, PCM embedding, PRCM keys: no biases


# ---- the quickstart configs ----------------------------------------------------
def test_quickstart_new_layers_at_the_authors_absolute_lr(repo_root):
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'quickstart', 'cpn_synthvoc.py'))
    keys = cfg.optim_wrapper.paramwise_cfg.custom_keys
    for name in ('pcm', 'prcm'):  # 0.1, Ferenas/CPN's 10 x 0.01
        assert cfg.optim_wrapper.optimizer.lr * keys[name].lr_mult == pytest.approx(0.1)
    assert cfg.model.loss_cpcr.bg_order == 'before_scaling'
    assert cfg.model.triplet_forward == 'separate'


def test_from_cam_config_loads_a_cam_checkpoint_non_strictly(tmp_path, repo_root):
    """cpn_synthvoc_from_cam.py through MMEngine's Runner: the CAM network's
    weights load (PCM / PRCM missing from the checkpoint keep their
    initialisation), BN stays frozen, lr 0.01 / 0.1, and a 10-epoch schedule."""
    from mmengine.runner import Runner
    from torch.nn.modules.batchnorm import _BatchNorm

    cam_cfg = Config.fromfile(osp.join(repo_root, 'configs', 'quickstart', 'cam_synthvoc.py'))
    cam = MODELS.build(cam_cfg.model)
    cam.init_weights()
    torch.save(dict(meta=dict(epoch=40), state_dict=cam.state_dict()), tmp_path / 'cam.pth')
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'quickstart', 'cpn_synthvoc_from_cam.py'))
    assert cfg.load_from == 'work_dirs/quickstart_cam/epoch_40.pth' and not cfg.resume
    epochs = cfg.train_cfg.max_epochs
    assert epochs == cfg.param_scheduler[0].end == cfg.default_hooks.checkpoint.interval == 10
    cfg.merge_from_dict(dict(load_from=str(tmp_path / 'cam.pth'), work_dir=str(tmp_path)))
    runner = Runner.from_cfg(cfg)
    new = {
        k: v.clone()
        for k, v in runner.model.state_dict().items()
        if k.startswith(('pcm.', 'prcm.'))
    }
    runner.load_or_resume()
    loaded, source = runner.model.state_dict(), cam.state_dict()
    assert set(loaded) - set(source) == set(new) and len(new) > 0
    assert all(torch.equal(loaded[k], v) for k, v in source.items())
    assert all(torch.equal(loaded[k], v) for k, v in new.items())
    runner.model.train()
    assert not any(m.training for m in runner.model.modules() if isinstance(m, _BatchNorm))
    names = {id(p): n.split('.')[0] for n, p in runner.model.named_parameters()}
    lrs = {
        (names[id(p)], g['lr'])
        for g in runner.build_optim_wrapper(cfg.optim_wrapper).optimizer.param_groups
        for p in g['params']
    }
    assert lrs == {('backbone', 0.01), ('head', 0.1), ('pcm', 0.1), ('prcm', 0.1)}


def leaves(cfg, prefix=''):
    """A config's leaves as ``{'a.b.0.c': value}`` (tuples of plain values are leaves)."""
    if isinstance(cfg, dict):
        items = cfg.items()
    elif isinstance(cfg, (list, tuple)) and any(isinstance(v, (dict, list)) for v in cfg):
        items = enumerate(cfg)
    else:
        return {prefix[:-1]: cfg}
    out = {}
    for key, value in items:
        out.update(leaves(value, f'{prefix}{key}.'))
    return out


CP_STEP = 'cp_pairs'  # the pipeline's SuperpixelComplementaryPatches step
AUTHORS_POINTS = {  # docs/methods/cpn.md's table: the paper's reading, Ferenas/CPN's code
    'model.infer_aggregation': ('shift_max', 'sum_minmax'),  # 1
    'model.loss_min_pool.type': (None, 'AdaptiveMinPoolingLoss'),  # 2
    'model.cam_norm': ('max', 'minmax'),  # 3
    'model.loss_cpcr.max_target': (False, True),
    'model.loss_cpcr.bg_order': ('before_scaling', 'after_scaling'),
    'model.loss_resolution': ('cams', 'input'),  # 4
    f'{CP_STEP}.hide_mode': ('independent', 'draws'),  # 5
    f'{CP_STEP}.lambda_by': ('patches', 'pixels'),
    'model.loss_cam_dropout': (False, True),
    'model.prcm.code_key_view': (False, True),  # 6
    'model.seed_label_mask': (True, False),
}


@pytest.mark.parametrize(
    'paper,authors,extra',
    [
        (
            'cpn/cpn_r38_voc.py',
            'cpn/cpn-authors_r38d_1xb4-8e_voc12aug-448x448.py',
            {f'{CP_STEP}.n_segments': (200, 300)},
        ),
        (
            'quickstart/cpn_synthvoc_from_cam.py',
            'quickstart/cpn_synthvoc_from_cam_authors.py',
            {
                f'{CP_STEP}.n_segments': (50, 75),
                'model.head.dropout': (None, 0.5),  # ResNet-38d's head has it already
                'cam_infer.scales': ((1.0, 0.5, 1.5), (0.5, 1.0, 1.5, 2.0)),
            },
        ),
    ],
)
def test_authors_config_differs_by_the_code_points_only(repo_root, paper, authors, extra):
    """The authors preset is the paper config with exactly the code's points changed,
    each one option, the paper's value where the paper config leaves it to the
    class's default: nothing else differs, so one --cfg-options per point switches
    it back; the quickstart one builds."""
    from wsss_mm.datasets.transforms import SuperpixelComplementaryPatches
    from wsss_mm.models.classifiers import CPN
    from wsss_mm.models.layers import PRCM
    from wsss_mm.models.losses import CPCRLoss

    classes = {
        'model': CPN,
        'model.prcm': PRCM,
        'model.loss_cpcr': CPCRLoss,
        'model.head': None,
        CP_STEP: SuperpixelComplementaryPatches,
    }

    def value(flat, key):  # the key's value, else the default of the class it configures
        owner, _, name = key.rpartition('.')
        if key in flat or classes.get(owner) is None:
            return flat.get(key)
        return inspect.signature(classes[owner]).parameters[name].default

    cfgs = [Config.fromfile(osp.join(repo_root, 'configs', name)) for name in (paper, authors)]
    flats = []
    for cfg in cfgs:
        steps = [s['type'] for s in cfg.train_dataloader.dataset.pipeline]
        cp = f'train_dataloader.dataset.pipeline.{steps.index("SuperpixelComplementaryPatches")}.'
        flat = leaves(cfg.to_dict())
        flats.append({k.replace(cp, f'{CP_STEP}.'): v for k, v in flat.items()})
    expected = {**AUTHORS_POINTS, **extra}
    differing = {}
    for key in set(flats[0]) | set(flats[1]):
        if key.startswith(('train_pipeline', 'model.loss_min_pool.')) and key not in expected:
            continue  # train_pipeline is the dataloader's; the min-pool term's settings
        values = tuple(value(flat, key) for flat in flats)
        if values[0] != values[1]:
            differing[key] = values
    assert differing == expected
    if 'quickstart' in authors:
        model = MODELS.build(cfgs[1].model)
        assert model.infer_aggregation == 'sum_minmax' and model.loss_min_pool is not None
