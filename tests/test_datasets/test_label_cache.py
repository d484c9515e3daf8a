"""The image-level label cache: built once from the masks, then read instead of them,
so that the seed 002 methods train and validate without opening a mask."""

import json
import os.path as osp
import shutil

import numpy as np
import pytest

from wsss_mm.datasets import VOCClsDataset


def build(root, split='train', label_cache='cls_labels.json'):
    return VOCClsDataset(
        data_root=root,
        ann_file=f'ImageSets/Segmentation/{split}.txt',
        label_cache=label_cache,
        pipeline=[],
        serialize_data=False,
    )


@pytest.fixture
def masked_root(synth_root, tmp_path):
    """A copy of the tiny synthetic set (its masks may be removed)."""
    root = str(tmp_path / 'synthvoc')
    shutil.copytree(synth_root, root)
    return root


def test_cache_holds_the_mask_labels_and_replaces_the_masks(masked_root):
    from_masks = build(masked_root, label_cache=None)
    cached = build(masked_root)  # builds the cache
    with open(osp.join(masked_root, 'cls_labels.json')) as f:
        data = json.load(f)
    assert data['classes'][0] == 'aeroplane' and len(data['labels']) == len(from_masks)
    shutil.rmtree(osp.join(masked_root, 'SegmentationClass'))
    without_masks = build(masked_root)
    for a, b in zip(from_masks.data_list, without_masks.data_list):
        assert a['img_id'] == b['img_id']
        np.testing.assert_array_equal(a['gt_labels'], b['gt_labels'])
        assert b['seg_map_path'] is None
    assert len(cached) == len(without_masks)
    with pytest.raises(FileNotFoundError, match='nor an entry in the label cache'):
        build(masked_root, split='val')  # val is not cached and has no masks now


def test_cache_grows_with_new_splits(masked_root):
    build(masked_root, 'train')
    build(masked_root, 'val')
    with open(osp.join(masked_root, 'cls_labels.json')) as f:
        labels = json.load(f)['labels']
    assert len(labels) == len(build(masked_root, 'train')) + len(build(masked_root, 'val'))


def test_a_foreign_cache_is_refused(masked_root):
    with open(osp.join(masked_root, 'cls_labels.json'), 'w') as f:
        json.dump(dict(classes=['cat', 'dog'], labels={}), f)
    with pytest.raises(ValueError, match='cls_labels.json was built for the classes'):
        build(masked_root)
    with open(osp.join(masked_root, 'cls_labels.json'), 'w') as f:
        f.write('[1, 2]')
    with pytest.raises(ValueError, match='not a JSON object'):
        build(masked_root)


def test_puzzle_trains_and_validates_without_masks(
    masked_root, tmp_path, repo_root, run_tool, tiny_train_options
):
    build(masked_root, 'train')
    build(masked_root, 'val')
    shutil.rmtree(osp.join(masked_root, 'SegmentationClass'))
    proc = run_tool(
        'tools/train.py',
        osp.join(repo_root, 'configs', 'quickstart', 'puzzle_synthvoc.py'),
        '--data-root',
        masked_root,
        '--work-dir',
        str(tmp_path / 'work'),
        '--cfg-options',
        *tiny_train_options,
        'train_cfg.val_interval=1',
        'val_dataloader.num_workers=0',
    )
    log = proc.stdout + proc.stderr
    assert 'multilabel/mAP' in log
    assert osp.isfile(str(tmp_path / 'work' / 'epoch_1.pth'))
