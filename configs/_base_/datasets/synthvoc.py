# The synthetic VOC-layout set of tools/make_synthetic_voc.py (128 x 128 images).
_base_ = ['./voc_cls.py']
data_root = 'data/synthvoc'
crop_size = (112, 112)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.875, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackCAMInputs'),
]
test_pipeline = [dict(type='LoadImage'), dict(type='PackCAMInputs')]
train_dataloader = dict(
    batch_size=16,
    num_workers=2,
    dataset=dict(
        data_root=data_root, ann_file='ImageSets/Segmentation/train.txt', pipeline=train_pipeline
    ),
)
cam_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root))
test_dataloader = dict(num_workers=1, dataset=dict(data_root=data_root, pipeline=test_pipeline))
cam_infer = dict(scales=(1.0, 0.5, 1.5), flip=True)
