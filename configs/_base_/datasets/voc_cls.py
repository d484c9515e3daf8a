# PASCAL VOC 2012 + SBD with image-level labels (derived from the masks).
# Train on train_aug (10,582 images); infer / evaluate CAMs on train (1,464).
dataset_type = 'VOCClsDataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (512, 512)
train_pipeline = [
    dict(type='LoadImage'),
    # IRN's resize_long(320, 640): the long side uniform in [320, 640]
    dict(type='RandomResize', scale=(640, 640), ratio_range=(0.5, 1.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackCAMInputs'),
]
cam_pipeline = [dict(type='LoadImage'), dict(type='PackCAMInputs')]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(
    batch_size=16,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        filter_empty_labels=True,
        pipeline=train_pipeline,
    ),
)
# CAM inference (tools/infer_cams.py): original size, one image at a time
cam_dataloader = dict(
    batch_size=1,
    num_workers=2,
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=cam_pipeline,
    ),
)
cam_infer = dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True)
# classification quality (mAP, F1) on val
test_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='ImageSets/Segmentation/val.txt',
        pipeline=test_pipeline,
    ),
)
test_evaluator = dict(type='MultiLabelMetric')
test_cfg = dict(type='TestLoop')
val_dataloader = None
val_evaluator = None
val_cfg = None
