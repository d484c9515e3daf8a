# CPU-scale DeepLab-v2 on pseudo masks of the synthetic VOC set: the quickstart CAM
# network's backbone (narrow ResNet-18, output stride 8; tools/run_pipeline.py
# initialises it from the trained CAM network) + the DeepLab-v2 ASPP classifier.
# Train on WORK_DIR/pseudo_masks, test on the ground truth of val, multi-scale + flip.
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/synthvoc_seg.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_5e.py',
]
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ResNet',
        depth=18,
        base_channels=16,
        stem_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(3,),
    ),
    decode_head=dict(in_channels=128, dilations=(1, 3, 6, 9)),
)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoMaskDataset',
        data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/train.txt',
        mask_dir='pseudo_masks',
        pipeline={{_base_.train_pipeline}},
    ),
)
max_epochs = 16
optim_wrapper = dict(
    optimizer=dict(lr=0.01, momentum=0.9, weight_decay=5e-4),
    paramwise_cfg=dict(_delete_=True, custom_keys={'decode_head': dict(lr_mult=10.0)}),
)
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
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
# mmseg's SegVisualizationHook, off until --show / --show-dir; every image (mmseg's default
# interval of 50 would draw none of the few val images)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs),
    visualization=dict(type='mmseg.SegVisualizationHook', interval=1),
)
