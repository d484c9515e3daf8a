"""CPN: the triplet training step (losses and where their gradients go, BN statistics),
CAM inference through the refinement hook, the paper config at 448 x 448, and the
quickstart configs (learning rates, loading a CAM checkpoint)."""

import os.path as osp

import numpy as np
import pytest
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.cams import multiscale_cams
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
