"""LoadCAMHint: C²AM-H's hint maps from CAM files, moved with the image by mmseg's
geometric transforms and packed by PackCAMInputs; bad input is named."""

import numpy as np
import pytest
import torch
from mmcv.transforms import Compose
from mmengine.registry import init_default_scope

from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.registry import TRANSFORMS


@pytest.fixture(autouse=True)
def scope():
    init_default_scope('wsss_mm')  # RandomResize builds its Resize in the default scope


def results_for(img, img_id='a'):
    return dict(
        img=img,
        img_id=img_id,
        img_path=f'/nowhere/{img_id}.jpg',
        img_shape=img.shape[:2],
        ori_shape=img.shape[:2],
        seg_fields=[],
    )


def test_hints_are_the_thresholded_max_over_classes(tmp_path):
    cam = np.zeros((2, 4, 5), np.float32)
    cam[0, 0, :] = [0.1, 0.39, 0.4, 0.9, 0.0]
    cam[1, 0, :] = [0.5, 0.0, 0.0, 0.0, 0.02]
    save_cam_file(cam_path(str(tmp_path), 'a'), np.array([3, 7]), cam)
    img = np.zeros((4, 5, 3), np.uint8)
    out = TRANSFORMS.build(dict(type='LoadCAMHint', cam_dir=str(tmp_path)))(results_for(img))
    assert out['gt_hint'].dtype == np.uint8 and out['seg_fields'] == ['gt_hint']
    assert out['gt_hint'][0].tolist() == [1, 255, 1, 1, 255]  # max >= 0.4
    assert (out['gt_hint'][1:] == 255).all()
    with_bg = TRANSFORMS.build(
        dict(type='LoadCAMHint', cam_dir=str(tmp_path), fg_threshold=0.4, bg_threshold=0.05)
    )(results_for(img))
    assert with_bg['gt_hint'][0].tolist() == [1, 255, 1, 1, 0]
    assert (with_bg['gt_hint'][1:] == 0).all()

    # an image without a class: no hint anywhere
    save_cam_file(cam_path(str(tmp_path), 'empty'), np.zeros(0), np.zeros((0, 4, 5)))
    out = TRANSFORMS.build(dict(type='LoadCAMHint', cam_dir=str(tmp_path)))(
        results_for(img, 'empty')
    )
    assert (out['gt_hint'] == 255).all()


def test_bicubic_sampling_keeps_the_margin_for_the_model(tmp_path):
    """The authors' order: the continuous maximum goes with the image; the model
    thresholds after resampling. gt_hint is max_k CAM_k - fg_threshold, float32, and
    survives mmseg's resize, crop and flip and the packing as a float map."""
    cam = np.zeros((2, 4, 5), np.float32)
    cam[0, 0, :] = [0.1, 0.39, 0.4, 0.9, 0.0]
    cam[1, 0, :] = [0.5, 0.0, 0.0, 0.0, 0.02]
    save_cam_file(cam_path(str(tmp_path), 'a'), np.array([3, 7]), cam)
    img = np.zeros((4, 5, 3), np.uint8)
    load = dict(type='LoadCAMHint', cam_dir=str(tmp_path), sampling='bicubic')
    out = TRANSFORMS.build(load)(results_for(img))
    assert out['gt_hint'].dtype == np.float32 and out['seg_fields'] == ['gt_hint']
    np.testing.assert_allclose(out['gt_hint'][0], [0.1, -0.01, 0.0, 0.5, -0.38], atol=1e-6)
    assert np.allclose(out['gt_hint'][1:], -0.4)
    pipeline = Compose(
        [
            TRANSFORMS.build(t)
            for t in [
                load,
                dict(type='RandomResize', scale=(8, 8), ratio_range=(1.0, 1.25), keep_ratio=True),
                dict(type='RandomCrop', crop_size=(4, 4)),
                dict(type='RandomFlip', prob=0.5),
                dict(type='PackCAMInputs'),
            ]
        ]
    )
    hint = pipeline(results_for(img))['data_samples'].gt_hint.data
    assert hint.dtype == torch.float32 and hint.shape == (1, 4, 4)
    assert {round(float(v), 4) for v in hint.unique()} <= {0.1, -0.01, 0.0, 0.5, -0.38, -0.4}
    with pytest.raises(ValueError, match='foreground hints only'):
        TRANSFORMS.build({**load, 'bg_threshold': 0.05})
    with pytest.raises(ValueError, match='sampling must be one of'):
        TRANSFORMS.build({**load, 'sampling': 'bilinear'})


def test_resize_crop_flip_keep_the_hint_on_the_image(tmp_path):
    """The image's red channel marks where the hint is: after mmseg's resize, crop and
    flip (and packing) both still agree."""
    height, width = 60, 80
    square = np.zeros((height, width), bool)
    square[10:40, 5:30] = True  # off-centre: a flip moves it
    img = np.zeros((height, width, 3), np.uint8)
    img[square, 2] = 255
    save_cam_file(cam_path(str(tmp_path), 'a'), np.array([1]), square[None].astype(np.float32))
    pipeline = Compose(
        [
            TRANSFORMS.build(t)
            for t in [
                dict(type='LoadCAMHint', cam_dir=str(tmp_path), fg_threshold=0.5),
                dict(type='RandomResize', scale=(96, 96), ratio_range=(0.8, 1.25), keep_ratio=True),
                dict(type='RandomCrop', crop_size=(48, 48)),
                dict(type='RandomFlip', prob=1.0),
                dict(type='PackCAMInputs'),
            ]
        ]
    )
    for seed in range(5):
        np.random.seed(seed)
        packed = pipeline(results_for(img.copy()))
        hint = packed['data_samples'].gt_hint.data
        inputs = packed['inputs']
        assert hint.shape == (1, *inputs.shape[1:]) and hint.dtype == torch.uint8
        red = inputs[2] > 127
        hinted = hint[0] == 1
        assert set(hint.unique().tolist()) <= {1, 255}
        # nearest (hint) and bilinear (image) interpolation differ on the square's edge only
        assert (red != hinted).float().mean() < 0.05, seed
        assert packed['data_samples'].flip
        if hinted.any():  # the crop kept some of the square: it is flipped with the image
            assert (red & hinted).sum() > 0.8 * hinted.sum()


def test_bad_input_is_named(tmp_path):
    img = np.zeros((4, 5, 3), np.uint8)
    with pytest.raises(ValueError, match='fg_threshold must be in'):
        TRANSFORMS.build(dict(type='LoadCAMHint', cam_dir=str(tmp_path), fg_threshold=1.5))
    with pytest.raises(ValueError, match='bg_threshold must be in'):
        TRANSFORMS.build(
            dict(type='LoadCAMHint', cam_dir=str(tmp_path), fg_threshold=0.3, bg_threshold=0.3)
        )
    missing_dir = str(tmp_path / 'nope')
    with pytest.raises(FileNotFoundError, match=f'CAM folder not found: {missing_dir}'):
        TRANSFORMS.build(dict(type='LoadCAMHint', cam_dir=missing_dir))(results_for(img))
    with pytest.raises(FileNotFoundError, match=r'CAM file not found: .*a\.npz'):
        TRANSFORMS.build(dict(type='LoadCAMHint', cam_dir=str(tmp_path)))(results_for(img))
    save_cam_file(cam_path(str(tmp_path), 'a'), np.array([1]), np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match=r'a\.npz is 8x8 but image .*a\.jpg is 4x5'):
        TRANSFORMS.build(dict(type='LoadCAMHint', cam_dir=str(tmp_path)))(results_for(img))
