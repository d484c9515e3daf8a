"""PseudoMaskDataset: the pseudo masks of a split as segmentation labels; missing masks
and masks of another size are named."""

import numpy as np
import pytest

import wsss_mm
from wsss_mm.refine import label_path, save_label_map
from wsss_mm.registry import DATASETS


def test_pseudo_mask_dataset_names_missing_masks(synth_root, tmp_path):
    wsss_mm.register_all_modules()  # transforms are looked up in the default scope
    masks = tmp_path / 'masks'
    for img_id in ('synth_000000', 'synth_000001'):
        save_label_map(label_path(str(masks), img_id), np.zeros((64, 64), np.uint8))
    save_label_map(label_path(str(masks), 'synth_000002'), np.zeros((32, 64), np.uint8))
    split = tmp_path / 'split.txt'
    split.write_text('synth_000000\nsynth_000001\nsynth_000002\n')
    pipeline = [dict(type='LoadImage'), dict(type='LoadMask'), dict(type='mmseg.PackSegInputs')]
    dataset = DATASETS.build(
        dict(
            type='PseudoMaskDataset',
            data_root=synth_root,
            ann_file=str(split),
            mask_dir=str(masks),
            pipeline=pipeline,
        )
    )
    assert dataset[0]['data_samples'].gt_sem_seg.data.shape == (1, 64, 64)
    with pytest.raises(ValueError, match=r'synth_000002.png is 32x64 but image'):
        dataset[2]
    with pytest.raises(FileNotFoundError, match=r"21 of 24 images .*'synth_000003'"):
        DATASETS.build(
            dict(
                type='PseudoMaskDataset',
                data_root=synth_root,
                ann_file='ImageSets/Segmentation/train.txt',
                mask_dir=str(masks),
            )
        )
