"""C²AM / C²AM-H: the losses of Eq. 7 and Eq. 29 against hand-written references, the
model's shapes, hints and polarity, and a training through tools/train.py."""

import math
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS

TINY_BACKBONE = dict(
    type='mmpretrain.ResNet',
    depth=18,
    base_channels=8,
    stem_channels=8,
    strides=(1, 2, 1, 1),
    dilations=(1, 1, 2, 4),
    out_indices=(2, 3),
)
PREPROCESSOR = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    size=(32, 32),
    pad_val=0,
    seg_pad_val=255,
)


def build_c2am(**kwargs):
    torch.manual_seed(0)
    cfg = dict(
        type='C2AM',
        backbone=TINY_BACKBONE,
        in_channels=64 + 32,
        data_preprocessor=PREPROCESSOR,
    )
    return MODELS.build({**cfg, **kwargs})


def reference_cosine(a, b):
    """Clamped cosine similarity of two vectors, by hand."""
    sim = float(np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b)))
    return min(max(sim, 0.0005), 0.9995)


def reference_sim_max(feats, alpha, exclude_self):
    """The authors' SimMaxLoss (exclude_self=False) and Eq. 7's L_pos, with loops:
    rank_i(j) = the number of k more similar to i than j, ties broken by index (a
    stable sort; the authors' unstable sort breaks them in any order)."""
    n = len(feats)
    sim = [[reference_cosine(feats[i], feats[j]) for j in range(n)] for i in range(n)]
    total, count = 0.0, 0
    for i in range(n):
        for j in range(n):
            if exclude_self and i == j:
                continue
            others = [k for k in range(n) if not (exclude_self and k == i)]
            rank = sum(sim[i][k] > sim[i][j] or (sim[i][k] == sim[i][j] and k < j) for k in others)
            rank = rank if exclude_self else rank - 1  # the authors' rank - 1
            total += math.exp(-alpha * rank) * -math.log(sim[i][j])
            count += 1
    return total / count


def test_sim_max_loss_matches_the_reference_with_rank_weights_and_clamping():
    rng = np.random.default_rng(0)
    feats = rng.normal(size=(6, 7))
    feats[3] = feats[1] * 2.5  # cosine 1 with image 1: clamped to 0.9995, as s_ii
    feats[0] = -feats[2]  # cosine -1 with image 2: clamped to 0.0005
    x = torch.tensor(feats, dtype=torch.float64)
    sim = [[reference_cosine(a, b) for b in feats] for a in feats]
    assert sim[1][3] == sim[1][1] == 0.9995 and sim[0][2] == 0.0005
    for alpha in (0.25, 0.0, 1.0):
        for exclude_self in (False, True):
            loss = MODELS.build(dict(type='SimMaxLoss', alpha=alpha, exclude_self=exclude_self))
            expected = reference_sim_max(feats, alpha, exclude_self)
            assert float(loss(x)) == pytest.approx(expected, rel=1e-9), (alpha, exclude_self)
    # the clamp: a pair at cosine -1 costs -log(0.0005), not infinity
    pair = torch.tensor([[1.0, 0.0], [-1.0, 0.0]], dtype=torch.float64)
    loss = MODELS.build(dict(type='SimMaxLoss', alpha=0.0, exclude_self=True))
    assert float(loss(pair)) == pytest.approx(-math.log(0.0005))


def test_sim_min_loss_matches_the_reference():
    rng = np.random.default_rng(1)
    bg, fg = rng.normal(size=(4, 6)), rng.normal(size=(4, 6))
    fg[0] = bg[1] * 3  # cosine 1: clamped to 0.9995
    expected = np.mean(
        [-math.log(1 - reference_cosine(bg[i], fg[j])) for i in range(4) for j in range(4)]
    )
    loss = MODELS.build(dict(type='SimMinLoss', loss_weight=2.0))
    got = loss(torch.tensor(bg), torch.tensor(fg))
    assert float(got) == pytest.approx(2 * expected, rel=1e-9)


def test_hint_loss_counts_only_hinted_pixels():
    logits = torch.randn(2, 1, 3, 4, dtype=torch.float64)
    hints = torch.full((2, 3, 4), 255, dtype=torch.long)
    hints[0, 0, :2] = 1
    hints[1, 2, 3] = 1
    hints[1, 1, 1] = 0  # a background hint
    hinted = hints != 255
    target = hints.clamp(max=1).double() * 0.9 + 0.05
    prob = logits[:, 0].sigmoid()
    bce = -(target * torch.log(prob) + (1 - target) * torch.log(1 - prob))
    mean_loss = MODELS.build(dict(type='C2AMHintLoss', label_smoothing=0.1, loss_weight=0.5))
    assert float(mean_loss(logits, hints)) == pytest.approx(0.5 * float(bce[hinted].mean()))
    sum_loss = MODELS.build(dict(type='C2AMHintLoss', label_smoothing=0.1, reduction='sum'))
    assert float(sum_loss(logits, hints)) == pytest.approx(float(bce[hinted].sum()))
    # unhinted pixels do not count, whatever the map says there
    changed = logits.clone()
    changed[:, 0][~hinted] = 1e3
    assert float(mean_loss(changed, hints)) == pytest.approx(float(mean_loss(logits, hints)))
    # no hint at all: 0 (the authors' mean of nothing is NaN)
    assert float(mean_loss(logits, torch.full_like(hints, 255))) == 0
    with pytest.raises(ValueError, match='hints must be 0, 1 or 255'):
        mean_loss(logits, hints * 2)
    with pytest.raises(ValueError, match='reduction'):
        MODELS.build(dict(type='C2AMHintLoss', reduction='none'))


def sample_with_hint(hint):
    sample = SegDataSample()
    sample.gt_hint = PixelData(data=torch.as_tensor(hint, dtype=torch.uint8)[None])
    return sample


def test_model_shapes_losses_and_modes():
    model = build_c2am(loss_hint=dict(type='C2AMHintLoss'), polarity='positive')
    images = [torch.randint(0, 255, (3, 30, 32), dtype=torch.uint8) for _ in range(3)]
    hint = np.full((30, 32), 255, np.uint8)
    hint[10:20, 10:20] = 1
    samples = [sample_with_hint(hint) for _ in images]
    data = model.data_preprocessor(dict(inputs=images, data_samples=samples), True)
    model.train()
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_pos_fg', 'loss_pos_bg', 'loss_neg', 'loss_hint'}
    sum(losses.values()).backward()
    assert model.disentangler[0].weight.grad is not None
    assert int(model.train_iter) == 1
    model.eval()
    inputs = data['inputs']
    logits = model(inputs, mode='tensor')
    assert logits.shape == (3, 1, 4, 4)
    saliency = model(inputs, mode='predict')
    assert saliency.shape == (3, 1, 32, 32)
    assert saliency.min() >= 0 and saliency.max() <= 1
    fg, bg, _ = model.disentangle(model.extract_feat(inputs))
    assert fg.shape == bg.shape == (3, 96)
    # v^f + v^b is the mean feature: the partition splits each position's feature
    feats = model.extract_feat(inputs)
    assert torch.allclose(fg + bg, feats.mean(dim=(2, 3)), atol=1e-5)


def test_hints_are_padded_and_resized_with_the_inputs():
    model = build_c2am(loss_hint=dict(type='C2AMHintLoss'))
    hint = np.full((24, 32), 255, np.uint8)
    hint[:8, :8] = 1  # the top-left 8 x 8 = one map position at stride 8
    hints = model.stack_hints([sample_with_hint(hint)], (32, 32), (4, 4))
    expected = torch.full((1, 4, 4), 255, dtype=torch.long)
    expected[0, 0, 0] = 1
    assert torch.equal(hints, expected)  # row 3 comes from the padding: no hint
    with pytest.raises(ValueError, match='LoadCAMHint'):
        model.stack_hints([SegDataSample()], (32, 32), (4, 4))


def test_margin_hints_are_sampled_bicubically_at_the_cell_centres():
    """LoadCAMHint(sampling='bicubic'): a 32 x 32 margin map at stride 8 is read around
    each cell's centre 8 i + 3.5, by the 4 x 4 pixels 8 i + 2 .. 8 i + 5 with the
    bicubic weights (a = -0.75) at distances 1.5, 0.5, 0.5, 1.5: -0.09375, 0.59375,
    0.59375, -0.09375; a hint where the result is >= 0. The reference sums them by
    hand. The nearest pixel (8 i, 8 j) decides the integer hints instead."""
    model = build_c2am(loss_hint=dict(type='C2AMHintLoss'))
    rng = np.random.default_rng(0)
    margins = rng.normal(size=(32, 32)).astype(np.float32)
    sample = SegDataSample()
    sample.gt_hint = PixelData(data=torch.from_numpy(margins)[None])
    hints = model.stack_hints([sample], (32, 32), (4, 4))
    weights = np.array([-0.09375, 0.59375, 0.59375, -0.09375])
    expected = np.full((4, 4), 255)
    for i in range(4):
        for j in range(4):
            patch = margins[8 * i + 2 : 8 * i + 6, 8 * j + 2 : 8 * j + 6]
            if weights @ patch @ weights >= 0:
                expected[i, j] = 1
    assert hints.dtype == torch.long and hints[0].tolist() == expected.tolist()
    assert (expected == 1).any() and (expected == 255).any()
    # the padding (rows 24..31 of a 24 x 32 map) is a margin of -1: no hint
    sample.gt_hint = PixelData(data=torch.full((1, 24, 32), 0.5))
    hints = model.stack_hints([sample], (32, 32), (4, 4))
    assert hints[0, :2].eq(1).all() and hints[0, 3].eq(255).all()


def test_hint_loss_counts_only_the_hinted_positions_of_the_model():
    """C²AM-H's hint mask: changing the map where there is no hint leaves the loss."""
    model = build_c2am(loss_hint=dict(type='C2AMHintLoss'))
    logits = torch.zeros(1, 1, 4, 4)
    hint = np.full((32, 32), 255, np.uint8)
    hint[:8, :16] = 1  # positions (0, 0) and (0, 1)
    hints = model.stack_hints([sample_with_hint(hint)], (32, 32), (4, 4))
    base = float(model.loss_hint(logits, hints))
    logits[0, 0, 2:, :] = 10.0
    assert float(model.loss_hint(logits, hints)) == pytest.approx(base)
    logits[0, 0, 0, 0] = 10.0
    assert float(model.loss_hint(logits, hints)) < base


def test_polarity_auto_flips_a_map_whose_border_is_foreground():
    model = build_c2am(polarity='auto', polarity_check_iter=2)
    border_fg = torch.full((2, 1, 4, 4), 3.0)
    border_fg[..., 1:3, 1:3] = -3.0  # the centre is background: the map is inverted
    model._count_and_check_polarity(border_fg)
    assert not model.flipped and not model.polarity_checked  # batch 1: not yet
    model._count_and_check_polarity(border_fg)
    assert model.flipped and model.polarity_checked
    state = model.state_dict()
    assert bool(state['auto_flip']) and int(state['train_iter']) == 2
    reloaded = build_c2am(polarity='auto', polarity_check_iter=2)
    reloaded.load_state_dict(state)
    assert reloaded.flipped
    # the saliency is the negated map
    reloaded.eval()
    x = torch.randn(1, 3, 32, 32)
    logits = reloaded(x, mode='tensor')
    assert torch.allclose(reloaded.saliency_scores(x), (-logits).relu())
    assert build_c2am(polarity='negative').flipped
    assert not build_c2am(polarity='positive').flipped


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match='polarity'):
        build_c2am(polarity='up')
    with pytest.raises(ValueError, match='activation'):
        build_c2am(activation='tanh')
    model = build_c2am(backbone={**TINY_BACKBONE, 'out_indices': (3,)})
    with pytest.raises(ValueError, match='out_indices'):
        model.extract_feat(torch.randn(1, 3, 32, 32))


@pytest.mark.slow
@pytest.mark.parametrize('hints', [False, True])
def test_quickstart_trains_one_epoch(hints, synth_root, tmp_path, repo_root, run_tool):
    """configs/quickstart/c2am_synthvoc.py (and its C²AM-H variant on hint CAMs) train
    through tools/train.py."""
    name = 'c2am_synthvoc_hints.py' if hints else 'c2am_synthvoc.py'
    options = [
        'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=1',
        'default_hooks.logger.interval=1',
        'model.polarity_check_iter=2',
    ]
    if hints:
        from wsss_mm.cams.cam_file import cam_path, save_cam_file
        from wsss_mm.utils.io import read_split

        cam_dir = str(tmp_path / 'cams')
        for img_id in read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt')):
            cam = np.zeros((1, 64, 64), np.float32)
            cam[0, 16:48, 16:48] = 1
            save_cam_file(cam_path(cam_dir, img_id), np.array([3]), cam)
        options.append(f'train_dataloader.dataset.pipeline.1.cam_dir={cam_dir}')
    work_dir = str(tmp_path / 'work')
    proc = run_tool(
        'tools/train.py',
        osp.join(repo_root, 'configs', 'quickstart', name),
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *options,
    )
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    log = proc.stdout + proc.stderr
    assert ('loss_hint' in log) == hints
    assert ('map border is foreground at batch 2' in log) != hints
