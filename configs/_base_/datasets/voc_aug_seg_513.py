# SegMix's VOC data (seed 000, Sec. 4.1): voc_aug_seg.py (train_aug with
# SegmentationClassAug, val, mmseg's pipelines and multi-scale + flip tta_pipeline) with
# 513x513 random crops and batches counted in epochs (DefaultSampler instead of mmseg's
# InfiniteSampler). The paper center-crops 513x513 at inference; the test here is
# mmseg's whole image at (2048, 512). The pipeline keeps mmseg's unprefixed type names:
# the inherited dataset is built in mmseg's scope.
_base_ = ['./voc_aug_seg.py']
crop_size = (513, 513)
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='LoadAnnotations'),
    dict(type='RandomResize', scale=(2048, 512), ratio_range=(0.5, 2.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=0.75),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PhotoMetricDistortion'),
    dict(type='PackSegInputs'),
]
train_dataloader = dict(
    sampler=dict(type='DefaultSampler', shuffle=True),
    drop_last=True,  # a last batch of one image would break the ASPP's image-pool BatchNorm
    dataset=dict(pipeline=train_pipeline),
)
