"""LoadImage / LoadMask are mmcv's and mmseg's loading transforms with errors that name
the file; files are read through mmengine.fileio with backend_args."""

import os.path as osp

import cv2
import numpy as np
import pytest
from mmcv.transforms import LoadImageFromFile
from mmseg.datasets.transforms import LoadAnnotations

from wsss_mm.datasets.transforms.loading import LoadImage, LoadMask
from wsss_mm.utils.io import ImageReadError, read_mask


def test_the_library_transforms_with_backend_args(synth_root):
    img_path = osp.join(synth_root, 'JPEGImages', 'synth_000000.jpg')
    seg_path = osp.join(synth_root, 'SegmentationClass', 'synth_000000.png')
    load_image = LoadImage(backend_args=dict(backend='local'))
    load_mask = LoadMask(backend_args=dict(backend='local'))
    assert isinstance(load_image, LoadImageFromFile) and isinstance(load_mask, LoadAnnotations)
    results = load_mask(load_image(dict(img_path=img_path, seg_map_path=seg_path)))
    assert np.array_equal(results['img'], cv2.imread(img_path))
    assert results['ori_shape'] == results['img'].shape[:2]
    assert np.array_equal(results['gt_seg_map'], read_mask(seg_path))
    assert LoadImage(to_float32=True)(dict(img_path=img_path))['img'].dtype == np.float32


def test_bad_files_are_named(synth_root, tmp_path):
    with pytest.raises(ImageReadError, match=r'cannot read .*nope.jpg: no such file'):
        LoadImage()(dict(img_path=str(tmp_path / 'nope.jpg')))
    empty = tmp_path / 'empty.png'
    empty.write_bytes(b'')
    with pytest.raises(ImageReadError, match='empty.png: the file is empty'):
        LoadMask()(dict(seg_map_path=str(empty)))
    seg_path = osp.join(synth_root, 'SegmentationClass', 'synth_000000.png')
    with pytest.raises(ValueError, match='synth_000000.png is 64x64 but image x.jpg is 32x32'):
        LoadMask()(dict(seg_map_path=seg_path, img_path='x.jpg', ori_shape=(32, 32)))
