# CPN (Zhang et al., "Complementary Patch for Weakly Supervised Semantic Segmentation", ICCV 2021):
# ResNet-38d, VOC train_aug, batch 4, 8 epochs, SGD lr 0.01 (x1/x2/x10/x20 groups), momentum 0.9,
# wd 5e-4 on weights, poly 0.9, crop 448, super-pixel CP pairs (S_N = 200, p_h = 0.5),
# L_cls + L_tcp + L_cpcr (OHEM 20%), PCM + PRCM. Table 2, last row.
_base_ = [
    '../_base_/models/cam_r38d.py',
    '../_base_/datasets/voc_cls.py',
    '../_base_/schedules/sgd_poly_5e.py',
    '../_base_/default_runtime.py',
]
crop_size = (448, 448)
train_pipeline = [
    dict(type='LoadImage'),
    # Ferenas/CPN's RandomResizeLong(448, 768): the long side uniform in [448, 768]
    dict(type='RandomResize', scale=(768, 768), ratio_range=(448 / 768, 1.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    # ColorJitter(0.3, 0.3, 0.3, 0.1) as Ferenas/CPN; negative hue shifts need
    # wsss_mm.compat's adjust_hue under numpy 2
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='RandomCrop', crop_size=crop_size),
    # SLIC runs here, in the dataloader workers (~0.4 s per 448 x 448 crop on one CPU core;
    # downscale=2 makes it ~4x faster)
    dict(type='SuperpixelComplementaryPatches', n_segments=200, compactness=10.0, hide_prob=0.5),
    dict(type='PackCPInputs'),
]
train_dataloader = dict(batch_size=4, num_workers=4, dataset=dict(pipeline=train_pipeline))
model = dict(
    type='CPN',
    data_preprocessor=dict(size=crop_size),
    # b4 (512) and b5 (1024) outputs for PCM / PRCM, b7 + bn7 (4096) for the CAMs
    backbone=dict(out_indices=(1, 2, 4)),
    pcm=dict(type='PCM', stage_channels=(512, 1024), proj_channels=(64, 128), embed_channels=192),
    prcm=dict(type='PRCM', in_channels=195, embed_channels=192),
    loss_tcp=dict(type='TCPLoss', loss_weight=1.0),  # w2
    # w3; the background added before the lambda weighting, the paper's reading (Ferenas/CPN:
    # bg_order='after_scaling')
    loss_cpcr=dict(type='CPCRLoss', ohem_ratio=0.2, bg_order='before_scaling', loss_weight=1.0),
    bg_alpha=1.0,
)  # alpha of Eq. 16
optim_wrapper = dict(
    optimizer=dict(lr=0.01, momentum=0.9, weight_decay=5e-4),
    constructor='NewLayersOptimWrapperConstructor',
    paramwise_cfg=dict(
        _delete_=True, new_layers=('head', 'pcm', 'prcm'), new_lr_mult=10.0, bias_lr_mult=2.0
    ),
)
max_epochs = 8
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
# inference: scales 0.5 / 1 / 1.5 / 2 with flips (voc_cls.py's cam_infer)
