# The synthetic VOC set (tools/make_synthetic_voc.py) for the quickstart segmentation
# networks (deeplab_synthvoc.py, segmix_*_synthvoc.py): 112-px crops of the 128-px images,
# the ground truth of val, and seg_tta.py's multi-scale + flip test at scales for the small
# images. The configs add their training dataset (`voc_seg` + train.txt, or pseudo masks)
# with `train_pipeline`.
_base_ = ['./seg_tta.py']
data_root = 'data/synthvoc'
crop_size = (112, 112)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.75, 1.5), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
test_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(type='mmseg.LoadAnnotations'),
    dict(type='mmseg.PackSegInputs'),
]
img_ratios = [0.75, 1.0, 1.25, 1.5]
tta_pipeline = _base_.tta_pipeline
tta_pipeline[1].transforms[0] = [
    dict(type='mmseg.Resize', scale_factor=r, keep_ratio=True) for r in img_ratios
]
voc_seg = dict(
    type='mmseg.PascalVOCDataset',
    data_root=data_root,
    data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClass'),
)
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(**voc_seg, ann_file='ImageSets/Segmentation/val.txt', pipeline=test_pipeline),
)
test_dataloader = val_dataloader
val_evaluator = dict(type='mmseg.IoUMetric', iou_metrics=['mIoU'])
test_evaluator = val_evaluator
