"""Dense CRF: it sharpens a blurred square; eval_cams --crf; a clear error without pydensecrf2."""

import json
import os.path as osp

import cv2
import numpy as np
import pytest
import torch

from wsss_mm.apis.eval_cams import eval_cams
from wsss_mm.refine import DenseCRF, crf_available, seed_labels
from wsss_mm.refine import crf as crf_module
from wsss_mm.utils.io import read_split

needs_crf = pytest.mark.skipif(not crf_available(), reason='pydensecrf2 is not installed')


def blurred_square(size: int = 48):
    """An image with a bright square, its true mask, and a CAM blurred past its edges."""
    mask = np.zeros((size, size), bool)
    mask[14:34, 14:34] = True
    image = np.full((size, size, 3), 40, np.uint8)
    image[mask] = (200, 180, 160)
    cam = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=6)
    return image, mask, cam / cam.max()


def iou(a: np.ndarray, b: np.ndarray) -> float:
    return (a & b).sum() / (a | b).sum()


@needs_crf
@pytest.mark.parametrize('unary', ['label', 'prob'])
def test_crf_sharpens_a_blurred_square(unary):
    image, mask, cam = blurred_square()
    cams = torch.from_numpy(cam)[None]
    seeds = seed_labels([3], cams, 'threshold', 0.15) == 3
    refined = seed_labels([3], cams, 'threshold', 0.15, DenseCRF(unary=unary), image) == 3
    assert iou(seeds, mask) < 0.8
    assert iou(refined, mask) > 0.95
    assert iou(refined, mask) > iou(seeds, mask) + 0.15


@needs_crf
def test_crf_checks_sizes_and_handles_a_single_label():
    crf = DenseCRF(iterations=2)
    image = np.zeros((8, 8, 3), np.uint8)
    with pytest.raises(ValueError, match='differs'):
        crf(image, np.ones((2, 9, 8), np.float32))
    assert (crf(image, np.ones((1, 8, 8), np.float32)) == 0).all()
    with pytest.raises(ValueError, match='unary'):
        DenseCRF(unary='softmax')


@needs_crf
def test_crf_kernels_scale_with_the_image():
    crf = DenseCRF()
    assert crf.spatial_widths(375, 500) == (3.0, 50.0)  # IRN's at VOC size
    assert crf.spatial_widths(500, 333) == (3.0, 50.0)
    assert crf.spatial_widths(128, 96) == pytest.approx((0.768, 12.8))
    assert DenseCRF(spatial_units='pixels').spatial_widths(128, 96) == (3.0, 50.0)
    assert DenseCRF(reference_size=250).spatial_widths(125, 100) == (1.5, 25.0)
    with pytest.raises(ValueError, match='spatial_units'):
        DenseCRF(spatial_units='relative')
    with pytest.raises(ValueError, match='reference_size'):
        DenseCRF(reference_size=0)


def thin_bar(size: int = 128, width: int = 2):
    """A faint 2-px bar on a noisy 128-px image, its mask, and a blurred CAM of it."""
    rng = np.random.default_rng(0)
    mask = np.zeros((size, size), bool)
    mask[30:98, 62 : 62 + width] = True
    image = np.full((size, size, 3), 90, np.float32) + rng.normal(0, 3, (size, size, 3))
    image[mask] += 10
    cam = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=2)
    return np.clip(image, 0, 255).astype(np.uint8), mask, cam / cam.max()


@needs_crf
def test_crf_in_image_units_keeps_a_thin_bar():
    """IRN's 50-px bilateral window smooths a thin bar on a 128-px image away; the same
    kernels in image units (12.8 px here) keep it."""
    image, mask, cam = thin_bar()
    cams = torch.from_numpy(cam)[None]
    seeds = seed_labels([5], cams, 'threshold', 0.3) == 5
    pixels = seed_labels([5], cams, 'threshold', 0.3, DenseCRF(spatial_units='pixels'), image) == 5
    relative = seed_labels([5], cams, 'threshold', 0.3, DenseCRF(), image) == 5
    assert iou(pixels, mask) < 0.1
    assert iou(relative, mask) > 0.9 > iou(seeds, mask)


def test_missing_pydensecrf2_says_how_to_install(monkeypatch):
    monkeypatch.setattr(crf_module, 'crf_available', lambda: False)
    with pytest.raises(ImportError, match='pip install pydensecrf2==1.1'):
        crf_module.DenseCRF()


@needs_crf
def test_eval_cams_with_crf(synth_root, tmp_path, write_gt_cams):
    """Blurred ground-truth CAMs at low thresholds spill over the objects; the CRF
    brings them back towards the masks."""
    cam_dir = str(tmp_path / 'cams')
    ids = read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))[:8]
    split = tmp_path / 'few.txt'
    split.write_text('\n'.join(ids))
    write_gt_cams(synth_root, cam_dir, ids)
    result = eval_cams(
        cam_dir,
        synth_root,
        str(split),
        thresholds=(0.1, 0.15),
        crf=dict(iterations=5),
        num_workers=2,
    )
    assert result['crf']['threshold'] == result['cams']['threshold']
    assert result['crf']['miou'] > result['cams']['miou']


@needs_crf
def test_eval_cams_cli_crf_options(synth_root, tmp_path, write_gt_cams, run_tool):
    """--cfg-options reaches the CRF: pixel units (IRN's 50-px window on 64-px images)
    give another result than image units; other keys are refused."""
    cam_dir = str(tmp_path / 'cams')
    ids = read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))[:8]
    split = tmp_path / 'few.txt'
    split.write_text('\n'.join(ids))
    write_gt_cams(synth_root, cam_dir, ids)
    args = [
        'tools/eval_cams.py',
        '--cam-dir',
        cam_dir,
        '--data-root',
        synth_root,
        '--split',
        str(split),
        '--crf',
        '--workers',
        '0',
    ]
    image, pixels = (
        json.loads(run_tool(*args, *extra).stdout.strip().splitlines()[-1])
        for extra in ([], ['--cfg-options', 'crf.spatial_units=pixels'])
    )
    assert image['miou'] == pixels['miou'] and image['crf_miou'] != pixels['crf_miou']
    proc = run_tool(*args, '--cfg-options', 'random_walk.beta=3', check=False)
    assert proc.returncode == 2 and 'sets the CRF only' in proc.stderr
