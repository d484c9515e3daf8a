"""Complementary patch pairs: complementarity, fill value, λ, determinism."""

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

import wsss_mm
from wsss_mm.models.utils import ComplementaryPatchPair
from wsss_mm.registry import MODELS, TRANSFORMS

MEAN = [123.675, 116.28, 103.53]  # RGB
STD = [58.395, 57.12, 57.375]


def blocky_image(height=60, width=64, block=8, seed=0):
    """(H, W, 3) uint8 BGR image of random flat colour blocks (SLIC-friendly)."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 256, (-(-height // block), -(-width // block), 3), dtype=np.uint8)
    return np.ascontiguousarray(colours.repeat(block, 0).repeat(block, 1)[:height, :width])


def results_of(img, label=3):
    labels = np.zeros(20, np.float32)
    labels[label] = 1
    return dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2], gt_labels=labels)


@pytest.fixture(scope='module')
def preprocessor():
    wsss_mm.register_all_modules(init_default_scope=False)
    return MODELS.build(
        dict(
            type='mmseg.SegDataPreProcessor',
            mean=MEAN,
            std=STD,
            bgr_to_rgb=True,
            pad_val=0,
            size=(72, 72),
        )
    )


PATCHES = [
    dict(type='SuperpixelComplementaryPatches', n_segments=30),
    dict(type='SuperpixelComplementaryPatches', n_segments=30, downscale=2),
    dict(type='GridComplementaryPatches', grid_sizes=(8, 16)),
]


@pytest.mark.parametrize('cfg', PATCHES, ids=lambda c: f"{c['type']}{c.get('downscale', '')}")
def test_pair_is_complementary_and_hides_with_the_dataset_mean(cfg, preprocessor):
    np.random.seed(0)
    patches, pack = TRANSFORMS.build(cfg), TRANSFORMS.build(dict(type='PackCPInputs'))
    imgs = [blocky_image(seed=0), blocky_image(56, 48, seed=1)]
    data = preprocessor(pseudo_collate([pack(patches(results_of(i))) for i in imgs]), True)
    inputs, samples = data['inputs'], data['data_samples']
    img_h, img_hbar, lam = ComplementaryPatchPair()(inputs, samples)
    assert img_h.shape == img_hbar.shape == inputs.shape == (2, 3, 72, 72)
    assert torch.equal(img_h + img_hbar, inputs)
    for i, (img, sample) in enumerate(zip(imgs, samples)):
        mask = sample.cp_mask.bool()
        assert mask.shape == img.shape[:2] and 0 < mask.float().mean() < 1
        height, width = mask.shape
        assert (img_h[i, :, :height, :width][:, ~mask] == 0).all()
        assert (img_hbar[i, :, :height, :width][:, mask] == 0).all()
        # hiding with the dataset mean before normalisation gives the same I_h
        filled = np.where(mask.numpy()[..., None], img.astype(np.float32), np.float32(MEAN[::-1]))
        expected = preprocessor(
            pseudo_collate(
                [dict(inputs=torch.from_numpy(filled).permute(2, 0, 1), data_samples=sample)]
            ),
            True,
        )['inputs'][0]
        assert torch.allclose(img_h[i], expected, atol=1e-5)
        assert lam[i] == sample.cp_lambda


def test_lambda_counts_hidden_patches_or_pixels():
    img = blocky_image(20, 24)  # 4 px grid: 5 x 6 = 30 patches, 16 px: 2 x 2 = 4 cut patches
    for size, num_patches in ((4, 30), (16, 4)):
        for lambda_by in ('patches', 'pixels'):
            np.random.seed(3)
            out = TRANSFORMS.build(
                dict(type='GridComplementaryPatches', grid_sizes=(size,), lambda_by=lambda_by)
            )(results_of(img))
            mask = out['cp_mask']
            blocks = mask[::size, ::size]  # one pixel per patch
            assert np.array_equal(mask, blocks.repeat(size, 0).repeat(size, 1)[:20, :24])
            if lambda_by == 'patches':
                assert out['cp_lambda'] == pytest.approx(blocks.sum() / num_patches)
            else:
                assert out['cp_lambda'] == pytest.approx(mask.mean())


def test_draws_hide_floor_half_of_the_ids_drawn_with_replacement():
    """hide_mode='draws' (Ferenas/CPN's hide_patch_ss): floor(N / 2) of the N patch ids
    drawn with replacement, so at most N / 2 and on average N (1 - (1 - 1/N)^(N/2)) of
    them (about 39%) are hidden; 'independent' hides about half."""
    img = blocky_image(32, 32)  # 4 px grid: N = 64 patches
    hidden = {}
    for mode in ('draws', 'independent'):
        patches = TRANSFORMS.build(
            dict(type='GridComplementaryPatches', grid_sizes=(4,), hide_mode=mode)
        )
        np.random.seed(0)
        hidden[mode] = [
            64 - patches(results_of(img))['cp_mask'][::4, ::4].sum() for _ in range(200)
        ]
    assert max(hidden['draws']) <= 32
    assert np.mean(hidden['draws']) == pytest.approx(64 * (1 - (63 / 64) ** 32), rel=0.03)
    assert np.mean(hidden['independent']) == pytest.approx(32, rel=0.05)
    with pytest.raises(ValueError, match='hide_mode'):
        TRANSFORMS.build(dict(type='GridComplementaryPatches', hide_mode='half'))


@pytest.mark.parametrize('hide_prob,lam', [(0.0, 1.0), (1.0, 0.0)])
def test_hide_probability_extremes(hide_prob, lam):
    out = TRANSFORMS.build(
        dict(type='SuperpixelComplementaryPatches', n_segments=20, hide_prob=hide_prob)
    )(results_of(blocky_image()))
    assert out['cp_lambda'] == lam
    assert (out['cp_mask'] == lam).all()


@pytest.mark.parametrize('cfg', PATCHES[::2], ids=lambda c: c['type'])
def test_pairs_are_deterministic_under_a_seed(cfg):
    patches = TRANSFORMS.build(cfg)

    def draw(seed):
        np.random.seed(seed)
        return patches(results_of(blocky_image()))['cp_mask']

    assert np.array_equal(draw(5), draw(5))
    assert not np.array_equal(draw(5), draw(6))


def test_packing_without_patches_names_the_fix():
    with pytest.raises(KeyError, match='ComplementaryPatches'):
        TRANSFORMS.build(dict(type='PackCPInputs'))(results_of(blocky_image()))


def test_bad_arguments_are_rejected():
    with pytest.raises(ValueError, match='hide_prob'):
        TRANSFORMS.build(dict(type='GridComplementaryPatches', hide_prob=1.5))
    with pytest.raises(ValueError, match='lambda_by'):
        TRANSFORMS.build(dict(type='GridComplementaryPatches', lambda_by='area'))
