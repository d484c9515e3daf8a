# CPU-scale AffinityNet (PSA) + random walk on the synthetic VOC set: the quickstart
# CAM network's backbone (narrow ResNet-18), initialised from the trained CAM network
# (tools/run_pipeline.py sets model.backbone.init_cfg), with affinity features from all
# four stages at stride 4 (32 x 32 positions on the 128 x 128 images; stride 8 loses
# too much of the small objects' boundaries). CRFs as IRN; the thresholds and the
# random-walk length are tuned for these CAMs (their seeds are best at bg 0.05).
_base_ = ['../_base_/default_runtime.py']
data_root = 'data/synthvoc'
crop_size = (112, 112)

# (a) affinity labels from the CAMs (tools/make_affinity_labels.py)
affinity_labels = dict(
    fg_threshold=0.10, bg_threshold=0.02, crf=True, saliency_dir=None,
    saliency_threshold=0.5)
# dense CRF (IRN's crf_inference_label), for crf=True above and below and for
# tools/eval_cams.py --crf --crf-config
crf = dict(iterations=10, pos_sxy=3, pos_compat=3, bi_sxy=50, bi_srgb=5, bi_compat=10,
           unary='label', gt_prob=0.7)
# (c) random walk of the CAMs into pseudo masks (tools/make_pseudo_labels.py)
random_walk = dict(beta=10, exp_times=5, bg_mode='threshold', bg_value=0.04, normalize=True)
pseudo_labels = dict(crf=True, ignore_band=None)
refine_workers = 2

# (b) AffinityNet training on the affinity labels (tools/train.py)
model = dict(
    type='AffinityNet',
    data_preprocessor=dict(
        type='mmseg.SegDataPreProcessor',
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True,
        pad_val=0,
        seg_pad_val=255,
        size=crop_size),
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=18,
        base_channels=16,
        stem_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(0, 1, 2, 3),
        norm_eval=True),
    in_channels=(16, 32, 64, 128),
    channels=(16, 32, 32, 64),
    embed_channels=128,
    radius=5)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.875, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoMaskDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train.txt',
        mask_dir='aff_labels',
        pipeline=train_pipeline))
max_epochs = 6
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={
        'lateral_convs': dict(lr_mult=10.0),
        'embed': dict(lr_mult=10.0)
    }))
param_scheduler = [
    dict(type='PolyLR', power=0.9, eta_min=0.0, begin=0, end=max_epochs, by_epoch=True,
         convert_to_iter_based=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=max_epochs))
