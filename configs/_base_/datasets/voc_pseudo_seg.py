# PASCAL VOC 2012 segmentation trained on pseudo masks (tools/make_pseudo_labels.py):
# train_aug images with the label maps of `mask_dir` (relative to the data root, or
# absolute) in place of the ground truth; validate / test on the ground truth of val;
# multi-scale + flip test (tta_pipeline of voc_aug_seg.py) with `tools/run_pipeline.py`
# or mmseg's `--tta` recipe.
_base_ = ['./voc_aug_seg.py']
pseudo_mask_dir = 'pseudo_masks'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),  # checks that the pseudo mask has the image's size
    dict(type='mmseg.RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size={{_base_.crop_size}}, cat_max_ratio=0.75),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PhotoMetricDistortion'),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='PseudoMaskDataset',
        data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train_aug.txt',
        mask_dir=pseudo_mask_dir,
        pipeline=train_pipeline,
    )
)
