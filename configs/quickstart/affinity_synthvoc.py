# CPU-scale AffinityNet (PSA) + random walk on the synthetic VOC set: the VOC config's
# CRF, model type and loss with the quickstart CAM network's backbone (narrow ResNet-18,
# initialised from the trained CAM network: tools/run_pipeline.py sets
# model.backbone.init_cfg) and affinity features from all four stages at stride 4
# (32 x 32 positions on the 128 x 128 images; stride 8 loses too much of the small
# objects' boundaries). The thresholds follow the seeds (refine_thresholds): the
# affinity labels' from the seeds' best background threshold by IRN's ratios, the random
# walk's from its own train-set sweep, so that the same config serves CAMs whose seeds
# are best at 0.05 or at 0.30 (docs/pipeline.md). The CRF's kernels scale with the image.
_base_ = ['../affinity/affinity_r50_voc.py']
data_root = 'data/synthvoc'
crop_size = (112, 112)

refine_thresholds = dict(affinity='seed', walk='sweep')
# (a) affinity labels from the CAMs (tools/make_affinity_labels.py); the fixed numbers
# (used with refine_thresholds.affinity='fixed') are those tuned for the first
# quickstart CAM network
affinity_labels = dict(fg_threshold=0.10, bg_threshold=0.02)
# (c) random walk of the CAMs into pseudo masks (tools/make_pseudo_labels.py);
# bg_value is used with refine_thresholds.walk='fixed'
random_walk = dict(exp_times=5, bg_value=0.04, cam_power=1.0)
pseudo_labels = dict(crf=True)
refine_workers = 2

# (b) AffinityNet training on the affinity labels (tools/train.py)
model = dict(
    data_preprocessor=dict(size=crop_size),
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ResNet',
        depth=18,
        base_channels=16,
        stem_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(0, 1, 2, 3),
        norm_eval=True,
    ),
    in_channels=(16, 32, 64, 128),
    channels=(16, 32, 32, 64),
    embed_channels=128,
)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.875, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    num_workers=2,
    dataset=dict(
        data_root=data_root, ann_file='ImageSets/Segmentation/train.txt', pipeline=train_pipeline
    ),
)
max_epochs = 6
optim_wrapper = dict(
    optimizer=dict(lr=0.01, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={'lateral_convs': dict(lr_mult=10.0), 'embed': dict(lr_mult=10.0)},
    ),
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
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=max_epochs))
