"""VOCClsDataset: labels from masks, layout checks, clear errors on bad input."""

import os.path as osp
import shutil

import numpy as np
import pytest
from PIL import Image

import wsss_mm
from wsss_mm.datasets import VOCClsDataset
from wsss_mm.datasets.data_layout import VOC_LAYOUT
from wsss_mm.utils.io import ImageReadError, read_mask

PIPELINE = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='PackCAMInputs')]


@pytest.fixture
def voc_copy(synth_root, tmp_path):
    """A writable copy of the synthetic set."""
    root = str(tmp_path / 'voc')
    shutil.copytree(synth_root, root)
    return root


def write_mask(path, mask):
    img = Image.fromarray(mask.astype(np.uint8), mode='P')
    img.putpalette(VOC_LAYOUT.flat_palette())
    img.save(path)


def build(root, **kwargs):
    wsss_mm.register_all_modules()  # transforms are looked up in the default scope
    return VOCClsDataset(data_root=root, pipeline=PIPELINE, **kwargs)


def test_labels_are_the_classes_in_the_masks(synth_root):
    ds = build(synth_root)
    assert len(ds) == 24
    for i in range(len(ds)):
        info = ds.get_data_info(i)
        ids = np.unique(read_mask(info['seg_map_path']))
        expected = sorted(int(c) for c in ids if 0 < c < 255)
        assert (np.flatnonzero(info['gt_labels']) + 1).tolist() == expected


def test_pipeline_packs_image_labels_and_mask(synth_root):
    item = build(synth_root)[0]
    sample = item['data_samples']
    assert item['inputs'].shape == (3, 64, 64)
    assert sample.gt_labels.shape == (20,)
    assert sample.gt_sem_seg.data.shape == (1, 64, 64)
    assert sample.img_id == 'synth_000000'


def test_empty_label_sets_are_skipped_with_a_count(voc_copy, monkeypatch):
    logged = []
    monkeypatch.setattr(
        'wsss_mm.datasets.voc_cls.print_log', lambda msg, **kwargs: logged.append(msg)
    )
    ids = open(osp.join(voc_copy, 'ImageSets/Segmentation/train.txt')).read().split()
    for img_id in ids[:3]:
        write_mask(osp.join(voc_copy, 'SegmentationClass', img_id + '.png'), np.zeros((64, 64)))
    assert len(build(voc_copy)) == 24
    ds = build(voc_copy, filter_empty_labels=True)
    assert len(ds) == 21
    assert len(logged) == 1 and 'skipped 3 of 24' in logged[0]


def test_sbd_aug_masks_are_found(voc_copy):
    aug = osp.join(voc_copy, 'SegmentationClassAug')
    shutil.move(osp.join(voc_copy, 'SegmentationClass'), aug)
    ds = build(voc_copy)
    assert ds.get_data_info(0)['seg_map_path'].startswith(aug)


def test_missing_data_root_is_named(tmp_path):
    missing = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError, match='nowhere'):
        build(missing)


def test_missing_split_file_is_named(synth_root):
    with pytest.raises(FileNotFoundError, match='no_such_split.txt'):
        build(synth_root, ann_file='no_such_split.txt')


def test_image_without_mask_is_named(voc_copy):
    import os

    os.remove(osp.join(voc_copy, 'SegmentationClass', 'synth_000004.png'))
    with pytest.raises(FileNotFoundError, match='synth_000004.*no mask'):
        build(voc_copy)


def test_class_ids_outside_the_label_space_are_named(voc_copy):
    mask = np.zeros((64, 64))
    mask[:4, :4] = 30
    mask[10:, 10:] = 7
    write_mask(osp.join(voc_copy, 'SegmentationClass', 'synth_000002.png'), mask)
    with pytest.raises(ValueError, match=r'synth_000002.png.*\[30\]'):
        build(voc_copy)


def test_corrupt_image_is_named_not_a_cv2_assertion(voc_copy):
    with open(osp.join(voc_copy, 'JPEGImages', 'synth_000001.jpg'), 'wb') as f:
        f.write(b'not a jpeg at all')
    ds = build(voc_copy)
    with pytest.raises(ImageReadError, match='synth_000001.jpg'):
        ds[1]


def test_corrupt_mask_is_named(voc_copy):
    with open(osp.join(voc_copy, 'SegmentationClass', 'synth_000003.png'), 'wb') as f:
        f.write(b'\x89PNG broken')
    with pytest.raises(ImageReadError, match='synth_000003.png'):
        build(voc_copy)


def test_mask_of_another_size_is_named(voc_copy):
    mask = np.zeros((32, 40))
    mask[5:10, 5:10] = 3
    write_mask(osp.join(voc_copy, 'SegmentationClass', 'synth_000005.png'), mask)
    ds = build(voc_copy)
    with pytest.raises(ValueError, match='synth_000005.png is 32x40'):
        ds[5]
