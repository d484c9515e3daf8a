"""Puzzle-CAM, OC-CSE / P-OC and P-NOC (seed 002): losses, the frozen or trained
ordinary classifier, P-NOC's alternation of two optimizers, and resume."""

import copy
import os.path as osp

import pytest
import torch
from mmengine.optim import build_optim_wrapper
from mmengine.registry import DefaultScope
from mmseg.structures import SegDataSample

from wsss_mm.models.utils import merge_tiles, tile_images
from wsss_mm.registry import MODELS

BACKBONE = dict(
    type='mmpretrain.ResNet',
    depth=18,
    base_channels=4,
    stem_channels=4,
    strides=(1, 2, 1, 1),
    out_indices=(3,),
)
HEAD = dict(type='GAPClassifierHead', in_channels=32, num_classes=4)
PREPROCESSOR = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size=(32, 32),
)
SGD = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1))


def batch(seed=0):
    g = torch.Generator().manual_seed(seed)
    labels = [torch.tensor([1.0, 0, 1, 0]), torch.tensor([0.0, 1, 0, 0])]
    samples = []
    for label in labels:
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32), ori_shape=(32, 32)))
        sample.gt_labels = label
        samples.append(sample)
    inputs = [torch.randint(0, 255, (3, 32, 32), generator=g, dtype=torch.uint8) for _ in labels]
    return dict(inputs=inputs, data_samples=samples)


@pytest.fixture
def oc_checkpoint(tmp_path):
    torch.manual_seed(1)
    oc = MODELS.build(dict(type='CAMClassifier', backbone=BACKBONE, head=HEAD))
    path = str(tmp_path / 'oc.pth')
    torch.save(dict(state_dict=oc.state_dict()), path)
    return path


def build(type, oc_checkpoint=None, generator='PuzzleCAM', **kwargs):
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type=type,
            data_preprocessor=PREPROCESSOR,
            generator=dict(type=generator, backbone=BACKBONE, head=HEAD),
            ordinary_classifier=dict(
                type='CAMClassifier', freeze_bn=True, backbone=BACKBONE, head=HEAD
            ),
            oc_checkpoint=oc_checkpoint,
            **kwargs,
        )
    )
    model.init_weights()
    return model.train()


def test_puzzle_losses_by_hand():
    torch.manual_seed(0)
    net = MODELS.build(dict(type='PuzzleCAM', backbone=BACKBONE, head=HEAD, lambda_re=2.5)).train()
    inputs = torch.randn(2, 3, 32, 32)
    labels = torch.tensor([[1.0, 0, 1, 0], [0, 1, 0, 0]])
    torch.manual_seed(1)
    losses = net.loss_from_maps(net.training_maps(inputs), labels)
    # the same network by hand: its own passes over the image and its 4 tiles
    feats = net.extract_feat(inputs)
    merged = merge_tiles(net.extract_feat(tile_images(inputs, 2)), 2)
    weights = net.cam_weights()
    cams = torch.einsum('bkhw,ck->bchw', feats, weights)
    re_cams = torch.einsum('bkhw,ck->bchw', merged, weights)
    re = ((cams - re_cams).abs() * labels[:, :, None, None]).mean()
    assert losses['loss_re'].item() == pytest.approx(2.5 * re.item(), rel=1e-4)
    p_cls = net.head.loss(net.predict_logits(merged), labels)['loss_cls']
    assert losses['loss_p_cls'].item() == pytest.approx(p_cls.item(), rel=1e-4)
    assert set(losses) == {'loss_cls', 'loss_p_cls', 'loss_re'}


def test_occse_keeps_the_ordinary_classifier_frozen(oc_checkpoint):
    model = build('OCCSE', oc_checkpoint, generator='CAMClassifier', lambda_cse=0.5)
    assert not model.ordinary_classifier.training  # eval even in train mode
    assert not any(p.requires_grad for p in model.ordinary_classifier.parameters())
    saved = torch.load(oc_checkpoint)['state_dict']
    for name, value in model.ordinary_classifier.state_dict().items():
        assert torch.equal(value, saved[name]), name
    wrapper = build_optim_wrapper(model, SGD)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    log = model.train_step(batch(), wrapper)
    assert set(log) == {'loss', 'loss_cls', 'loss_cse'}
    after = model.state_dict()
    assert all(torch.equal(before[k], after[k]) for k in before if k.startswith('ordinary'))
    assert not torch.equal(
        before['generator.head.classifier.weight'], after['generator.head.classifier.weight']
    )


def test_occse_loss_erases_one_class_and_targets_the_others(oc_checkpoint, monkeypatch):
    model = build('OCCSE', oc_checkpoint, lambda_cse=0.5, mask_norm='image')
    data = model.data_preprocessor(batch(), True)
    inputs, samples = data['inputs'], data['data_samples']
    labels = torch.stack([s.gt_labels for s in samples])
    erased = torch.tensor([2, 1])
    monkeypatch.setattr(model.erased_class_sampler, 'forward', lambda labels: erased)
    torch.manual_seed(2)
    losses, outputs, got = model.generator_losses(inputs, labels)
    assert torch.equal(got, erased)
    # the reference, as lucasdavid/PNOC's _class_specific_mask with a per-map maximum:
    # the erased class's map, ReLU, bilinear to the image, divided by its max + 1e-5
    maps = outputs['cams'][[0, 1], [2, 1]][:, None].relu()
    maps = torch.nn.functional.interpolate(maps, (32, 32), mode='bilinear', align_corners=False)
    masks = maps / (maps.amax(dim=(1, 2, 3), keepdim=True) + 1e-5)
    oc_logits = model.ordinary_classifier(inputs * (1 - masks), mode='tensor')
    targets = torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 0]])  # y without the erased class
    expected = 0.5 * torch.nn.functional.multilabel_soft_margin_loss(oc_logits, targets)
    assert losses['loss_cse'].item() == pytest.approx(expected.item(), rel=1e-5)
    # the erasing term reaches the generator through the mask
    losses['loss_cse'].backward()
    assert model.generator.head.classifier.weight.grad.abs().sum() > 0


def test_bad_ordinary_classifier_checkpoint(tmp_path):
    with pytest.raises(FileNotFoundError, match='model.oc_checkpoint: no ordinary classifier'):
        build('OCCSE', str(tmp_path / 'missing.pth'))
    with pytest.raises(ValueError, match='set model.oc_checkpoint'):
        build('OCCSE', None)


def test_occse_keeps_the_cam_network_protocol(oc_checkpoint):
    model = build('OCCSE', oc_checkpoint).eval()
    x = torch.randn(1, 3, 32, 32)
    feats = model.extract_feat(x)
    assert torch.allclose(model.predict_logits(feats), model.generator(x, mode='tensor'))
    assert model.cam_weights().shape == (4, 32) and model.linear_cam and model.num_classes == 4


def pnoc_wrappers(model):
    cfg = dict(constructor='MultiOptimWrapperConstructor', generator=SGD, ordinary_classifier=SGD)
    with DefaultScope.overwrite_default_scope('wsss_mm'):
        return build_optim_wrapper(model, cfg)


def changed(before, model, prefix):
    return any(
        not torch.equal(before[k], v) for k, v in model.state_dict().items() if k.startswith(prefix)
    )


def test_pnoc_alternates_generator_and_ordinary_classifier(oc_checkpoint):
    model = build('PNOC', oc_checkpoint, k_noc=2, lambda_noc=1.0)
    wrappers = pnoc_wrappers(model)
    steps = []
    for i in range(4):
        before = {k: v.clone() for k, v in model.state_dict().items()}
        log = model.train_step(batch(i), wrappers)
        steps.append(
            (
                changed(before, model, 'generator.'),
                changed(before, model, 'ordinary_'),
                'loss_noc' in log,
            )
        )
    # the generator every step; noc (and its loss) every second step
    assert steps == [(True, False, False), (True, True, True)] * 2
    assert int(model.generator_steps) == 4


@pytest.mark.parametrize('cse_grads_to_noc, noc_changes', [(False, False), (True, True)])
def test_pnoc_noc_step_uses_only_its_own_loss(oc_checkpoint, cse_grads_to_noc, noc_changes):
    """With λ_noc = 0, noc moves only if it keeps the λ_cse gradients (the authors' code)."""
    model = build('PNOC', oc_checkpoint, lambda_noc=0.0, cse_grads_to_noc=cse_grads_to_noc)
    wrappers = pnoc_wrappers(model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train_step(batch(), wrappers)
    assert changed(before, model, 'ordinary_classifier.head') == noc_changes


def test_pnoc_accumulates_only_the_noc_loss_in_noc(oc_checkpoint):
    """accumulative_counts=2: after the first step noc holds half its own loss's
    gradient (the generator's λ_cse pass adds nothing); after the second it has
    stepped by lr times the mean of both steps' gradients. The reference recomputes
    L_noc on the hidden images that noc saw, with a copy of its first weights."""
    model = build('PNOC', oc_checkpoint, lambda_noc=1.0, lambda_cse=1.0)
    sgd = dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1), accumulative_counts=2)
    cfg = dict(constructor='MultiOptimWrapperConstructor', generator=sgd, ordinary_classifier=sgd)
    with DefaultScope.overwrite_default_scope('wsss_mm'):
        wrappers = build_optim_wrapper(model, cfg)
    wrappers.initialize_count_status(model, 0, 2)
    noc = model.ordinary_classifier
    reference = copy.deepcopy(noc)
    seen = []
    hook = noc.register_forward_pre_hook(lambda module, args: seen.append(args[0].detach()))
    labels = []
    for step in range(2):
        data = batch(step)
        labels.append(torch.stack([s.gt_labels for s in data['data_samples']]))
        model.train_step(data, wrappers)
        if step == 0:
            first_grads = {n: p.grad.clone() for n, p in noc.named_parameters() if p.requires_grad}
    hook.remove()
    hidden = seen[1::2]  # each step: the λ_cse pass on x̂, then noc's own pass on x̃
    grads = []
    for x, y in zip(hidden, labels):
        reference.zero_grad()
        model.loss_noc(reference(x, mode='tensor'), y).backward()
        grads.append(
            {n: p.grad.clone() for n, p in reference.named_parameters() if p.requires_grad}
        )
    for name, grad in first_grads.items():
        torch.testing.assert_close(grad, grads[0][name] / 2)
    start = dict(reference.named_parameters())
    for name, param in noc.named_parameters():
        if param.requires_grad:
            expected = start[name] - 0.1 * (grads[0][name] + grads[1][name]) / 2
            torch.testing.assert_close(param, expected)


def test_pnoc_refuses_a_single_optimizer(oc_checkpoint):
    model = build('PNOC', oc_checkpoint)
    with pytest.raises(TypeError, match='MultiOptimWrapperConstructor'):
        model.train_step(batch(), build_optim_wrapper(model, SGD))


def test_pnoc_resumes_both_optimizers_and_the_phase(
    synth_root, tmp_path, repo_root, run_tool, trained_cam, tiny_train_options
):
    config = osp.join(repo_root, 'configs', 'quickstart', 'pnoc_synthvoc.py')
    options = [
        *tiny_train_options,
        f'model.oc_checkpoint={trained_cam[1]}',
        'model.k_noc=2',
        'val_cfg=None',
        'val_dataloader=None',
        'val_evaluator=None',
    ]
    common = ['--data-root', synth_root, '--work-dir', str(tmp_path)]
    run_tool('tools/train.py', config, *common, '--cfg-options', *options)
    first = torch.load(str(tmp_path / 'epoch_1.pth'), weights_only=False)
    # both optimizers are saved, each with its momentum (noc stepped at generator step 2)
    assert set(first['optimizer']) == {'generator', 'ordinary_classifier'}
    assert first['optimizer']['ordinary_classifier']['state']
    # 24 images, batch 8: 3 generator steps per epoch
    assert int(first['state_dict']['generator_steps']) == 3
    options = [o.replace('max_epochs=1', 'max_epochs=2') for o in options]
    proc = run_tool('tools/train.py', config, *common, '--resume', '--cfg-options', *options)
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 1, iter: 3' in log
    second = torch.load(str(tmp_path / 'epoch_2.pth'), weights_only=False)
    # the step counter that sets the k_noc phase went on from 3 (not from 0)
    assert int(second['state_dict']['generator_steps']) == 6


def test_train_tool_names_a_bad_ordinary_classifier_path_before_training(
    synth_root, tmp_path, repo_root, run_tool, tiny_train_options
):
    proc = run_tool(
        'tools/train.py',
        osp.join(repo_root, 'configs', 'quickstart', 'poc_synthvoc.py'),
        '--data-root',
        synth_root,
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        *tiny_train_options,
        f'model.oc_checkpoint={tmp_path}/no_such.pth',
        check=False,
    )
    assert proc.returncode == 2
    assert f'model.oc_checkpoint: no ordinary classifier checkpoint at {tmp_path}' in proc.stderr
    assert 'Epoch(train)' not in proc.stdout + proc.stderr
