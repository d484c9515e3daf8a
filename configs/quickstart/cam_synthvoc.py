# CPU-scale CAM network on the synthetic VOC set (tools/make_synthetic_voc.py):
# a narrow ResNet-18 (base width 16) at output stride 8, trained from scratch.
_base_ = [
    '../_base_/models/cam_classifier.py',
    '../_base_/datasets/synthvoc.py',
    '../_base_/schedules/sgd_poly_5e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=18,
        base_channels=16,
        stem_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(3,),
    ),
    head=dict(in_channels=128),
)
max_epochs = 40
# from scratch the CAM network needs momentum (the IRN schedule's SGD has none: a recipe for
# ImageNet weights; without it, 20 epochs give seeds of 17.6 instead of 47.9, docs/methods/pnoc.md)
optim_wrapper = dict(optimizer=dict(lr=0.1, momentum=0.9, weight_decay=1e-4))
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=max_epochs))
# Seed quality (SeedMIoUMetric: eval_cams' background-threshold sweep), at the end of
# training and with `tools/test.py CONFIG CKPT --seed-miou`: the CAMs of cam_dataloader's
# images (original size, batch 1) with their masks; CAMValLoop's method defaults to CAM,
# its scales and flip to cam_infer, as tools/infer_cams.py's. (_delete_: the base's are None.)
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=1,
    persistent_workers=False,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VOCClsDataset',
        data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=[dict(type='LoadImage'), dict(type='LoadMask'), dict(type='PackCAMInputs')],
    ),
)
val_evaluator = dict(_delete_=True, type='SeedMIoUMetric')
val_cfg = dict(_delete_=True, type='CAMValLoop', method='CAM')
