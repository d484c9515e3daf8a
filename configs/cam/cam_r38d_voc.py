# CAM baseline of PSA / SEAM: ResNet-38d, VOC train_aug, batch 8, 15 epochs, lr 0.01,
# wd 5e-4, crop 448.
_base_ = [
    '../_base_/models/cam_r38d.py',
    '../_base_/datasets/voc_cls.py',
    '../_base_/schedules/sgd_poly_5e.py',
    '../_base_/default_runtime.py',
]
crop_size = (448, 448)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(768, 768), ratio_range=(448 / 768, 1.0), keep_ratio=True),
    dict(type='mmseg.PhotoMetricDistortion'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackCAMInputs'),
]
model = dict(data_preprocessor=dict(size=crop_size))
train_dataloader = dict(batch_size=8, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=0.01, weight_decay=5e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=15,
        by_epoch=True,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=15)
