# SegMix's quickstart baseline (seed 000, Table 1's "DeepLabv3"): mmseg's DeepLabv3
# (ASPPHead) on a narrow ResNet-18 at output stride 8 (the quickstart CAM network's),
# trained from scratch on the ground-truth masks of the synthetic VOC set
# (tools/make_synthetic_voc.py), tested on val. Every segmix_*_synthvoc.py config trains
# with this budget (64 epochs of batch 8 on train.txt = 2368 iterations; lr 0.01 poly,
# heads x10; 16 epochs underfit: docs/methods/segmix.md):
#   python tools/train.py configs/quickstart/segmix_deeplabv3_synthvoc.py --data-root data/synthvoc
#   python tools/test.py configs/quickstart/segmix_deeplabv3_synthvoc.py CKPT \
#       --data-root data/synthvoc --tta
_base_ = [
    '../_base_/models/deeplabv3_r101-d8.py',
    '../_base_/datasets/synthvoc_seg.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_5e.py',
]
num_classes = 21
# the paper's loss: cross-entropy over the labelled pixels (ignore 255), PyTorch's mean
loss_ce = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)
# DeepLabv3's ASPP at the quickstart width (the dominant branch; SegMix's phantom branch
# is a second one)
aspp_head = dict(
    type='ASPPHead',
    in_channels=128,
    in_index=0,
    channels=32,
    dilations=(1, 3, 6, 9),
    dropout_ratio=0.1,
    num_classes=num_classes,
    norm_cfg=dict(type='BN', requires_grad=True),
    align_corners=False,
    loss_decode=loss_ce,
)
model = dict(
    pretrained=None,
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
    decode_head=dict(_delete_=True, **aspp_head),
    auxiliary_head=None,
)
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    drop_last=True,  # a last batch of one image would break the ASPP's image-pool BatchNorm
    dataset=dict(
        **_base_.voc_seg,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=_base_.train_pipeline,
    ),
)
max_epochs = 64
optim_wrapper = dict(optimizer=dict(lr=0.01, momentum=0.9, weight_decay=5e-4))
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
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(interval=max_epochs),
    visualization=dict(type='mmseg.SegVisualizationHook', interval=1),
)
