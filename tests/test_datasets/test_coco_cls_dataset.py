"""COCO 2014 in the WSSS layout: COCOClsDataset (labels from masks, 80 classes),
COCOSegDataset, the layout's detection, clear errors on bad input."""

import os
import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

import wsss_mm
from wsss_mm.datasets import COCOClsDataset, COCOSegDataset
from wsss_mm.datasets.coco_layout import COCO_CLASSES, COCO_PALETTE
from wsss_mm.datasets.data_layout import COCO_LAYOUT, VOC_LAYOUT, detect_layout
from wsss_mm.datasets.label_cache import read_label_cache
from wsss_mm.datasets.synthetic_voc import make_synthetic_voc
from wsss_mm.evaluation import gt_mask_dirs
from wsss_mm.utils.io import read_mask, read_split

PIPELINE = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='PackCAMInputs')]


@pytest.fixture(scope='module')
def coco_root(tmp_path_factory):
    """A 12 + 4 image synthetic COCO-layout set of 64 x 64 images."""
    root = str(tmp_path_factory.mktemp('synthcoco'))
    make_synthetic_voc(root, num_train=12, num_val=4, size=64, seed=2, layout='coco')
    return root


@pytest.fixture
def coco_copy(coco_root, tmp_path):
    """A writable copy of the synthetic COCO-layout set."""
    root = str(tmp_path / 'coco')
    shutil.copytree(coco_root, root)
    return root


def build(root, **kwargs):
    wsss_mm.register_all_modules()  # transforms are looked up in the default scope
    return COCOClsDataset(data_root=root, pipeline=PIPELINE, **kwargs)


def write_mask(path, mask):
    img = Image.fromarray(mask.astype(np.uint8), mode='P')
    img.putpalette(COCO_LAYOUT.flat_palette())
    img.save(path)


def test_metainfo_has_the_80_classes_and_a_palette(coco_root):
    ds = build(coco_root)
    assert ds.metainfo['classes'] == COCO_CLASSES and len(COCO_CLASSES) == 81
    assert ds.metainfo['classes'][1] == 'person' and ds.metainfo['classes'][-1] == 'toothbrush'
    palette = [tuple(rgb) for rgb in ds.metainfo['palette']]
    assert len(palette) == 81 and len(set(palette)) == 81
    assert ds.num_fg_classes == 80


def test_labels_are_the_classes_in_the_masks(coco_root):
    ds = build(coco_root)
    ids = read_split(osp.join(coco_root, 'train.txt'))
    assert len(ds) == 12 and [ds.get_data_info(i)['img_id'] for i in range(12)] == ids
    above_voc = False
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        assert info['img_path'] == osp.join(coco_root, 'train2014', info['img_id'] + '.jpg')
        values = np.unique(read_mask(info['seg_map_path']))
        expected = sorted(int(c) for c in values if 0 < c < 255)
        assert info['gt_labels'].shape == (80,)
        assert (np.flatnonzero(info['gt_labels']) + 1).tolist() == expected
        above_voc |= max(expected, default=0) > 20
    assert above_voc
    item = ds[0]
    assert item['data_samples'].gt_labels.shape == (80,)
    assert item['inputs'].shape == (3, 64, 64)


def test_val_split_and_label_cache(coco_copy):
    ds = build(coco_copy, ann_file='val.txt', img_dir='val2014', label_cache='cls_labels_val.json')
    assert len(ds) == 4 and ds.get_data_info(0)['img_id'] == 'COCO_val2014_000000000000'
    cached = read_label_cache(osp.join(coco_copy, 'cls_labels_val.json'), COCO_CLASSES[1:])
    assert sorted(cached) == read_split(osp.join(coco_copy, 'val.txt'))
    shutil.rmtree(osp.join(coco_copy, 'SegmentationClass', 'val2014'))
    again = build(
        coco_copy, ann_file='val.txt', img_dir='val2014', label_cache='cls_labels_val.json'
    )
    for i in range(4):
        assert (again.get_data_info(i)['gt_labels'] == ds.get_data_info(i)['gt_labels']).all()


def test_class_ids_outside_the_80_classes_are_named(coco_copy):
    name = 'COCO_train2014_000000000003.png'
    mask = np.zeros((64, 64))
    mask[:4, :4] = 90
    mask[10:, 10:] = 80
    write_mask(osp.join(coco_copy, 'SegmentationClass', 'train2014', name), mask)
    with pytest.raises(ValueError, match=rf'{name}.*\[90\].*0\.\.80'):
        build(coco_copy)


def test_missing_image_and_mask_are_named(coco_copy):
    os.remove(
        osp.join(coco_copy, 'SegmentationClass', 'train2014', 'COCO_train2014_000000000005.png')
    )
    with pytest.raises(FileNotFoundError, match='COCO_train2014_000000000005.*no mask'):
        build(coco_copy)
    os.remove(osp.join(coco_copy, 'train2014', 'COCO_train2014_000000000001.jpg'))
    with pytest.raises(FileNotFoundError, match='COCO_train2014_000000000001.jpg.*train.txt'):
        build(coco_copy)


def test_seg_dataset_reads_the_val_ground_truth(coco_root):
    wsss_mm.register_all_modules()
    pipeline = [
        dict(type='mmseg.LoadImageFromFile'),
        dict(type='mmseg.LoadAnnotations'),
        dict(type='mmseg.PackSegInputs'),
    ]
    ds = COCOSegDataset(data_root=coco_root, pipeline=pipeline)
    assert len(ds) == 4 and ds.metainfo['classes'] == COCO_CLASSES
    info = ds.get_data_info(0)
    assert info['seg_map_path'] == osp.join(
        coco_root, 'SegmentationClass', 'val2014', 'COCO_val2014_000000000000.png'
    )
    gt = ds[0]['data_samples'].gt_sem_seg.data
    assert gt.shape == (1, 64, 64)
    assert (gt.numpy() == read_mask(info['seg_map_path'])).all()


def test_seg_dataset_names_missing_label_maps(coco_root, tmp_path):
    with pytest.raises(FileNotFoundError, match='have no label map'):
        COCOSegDataset(
            data_root=coco_root,
            ann_file='train.txt',
            img_dir='train2014',
            mask_dir=str(tmp_path),
            pipeline=[],
        )


def test_layout_is_detected_from_the_root(coco_root, synth_root, tmp_path):
    assert detect_layout(coco_root) is COCO_LAYOUT
    assert detect_layout(synth_root) is VOC_LAYOUT
    assert detect_layout(str(tmp_path / 'nowhere')) is VOC_LAYOUT
    assert COCO_LAYOUT.classes == COCO_CLASSES
    assert [list(rgb) for rgb in COCO_LAYOUT.palette] == COCO_PALETTE
    assert COCO_PALETTE[:21] == [list(rgb) for rgb in VOC_LAYOUT.palette]
    val_id = 'COCO_val2014_000000000002'
    assert COCO_LAYOUT.image_path(coco_root, val_id) == osp.join(
        coco_root, 'val2014', val_id + '.jpg'
    )
    assert gt_mask_dirs(coco_root) == [
        osp.join(coco_root, 'SegmentationClass', 'train2014'),
        osp.join(coco_root, 'SegmentationClass', 'val2014'),
    ]
    flat = COCO_LAYOUT.flat_palette()
    assert len(flat) == 768 and flat[3 * 80 : 3 * 81] == COCO_PALETTE[80]
    assert flat[-3:] == [224, 224, 192]
