# CPU-scale CPN on the synthetic VOC set (tools/make_synthetic_voc.py): the narrow ResNet-18,
# data, schedule and budget (40 epochs) of cam_synthvoc.py, plus CP pairs, PCM + PRCM and the
# TCP / CPCR losses. The backbone also returns stages 1 and 2 (32, 64 channels, stride 8) for PCM.
_base_ = ['./cam_synthvoc.py']
crop_size = (112, 112)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.875, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    # ~16 x 16 px superpixels, about the size of an object's discriminative part
    dict(type='SuperpixelComplementaryPatches', n_segments=50, compactness=10.0, hide_prob=0.5),
    dict(type='PackCPInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    type='CPN',
    backbone=dict(out_indices=(1, 2, 3)),
    pcm=dict(type='PCM', stage_channels=(32, 64), proj_channels=(64, 128), embed_channels=192),
    prcm=dict(type='PRCM', in_channels=195, embed_channels=192),
    loss_tcp=dict(type='TCPLoss', loss_weight=1.0),
    # L_cpcr's background added before the lambda weighting (the paper's reading; Ferenas/CPN adds
    # it after: bg_order='after_scaling', 2.6-8.9 points worse here, docs/methods/cpn.md)
    loss_cpcr=dict(type='CPCRLoss', ohem_ratio=0.2, bg_order='before_scaling', loss_weight=1.0),
    bg_alpha=1.0,
    # one backbone pass per branch: the train-mode BN normalises I with its own batch
    # statistics, and only I's pass updates the running statistics
    triplet_forward='separate',
)
# PCM / PRCM at x1 of this config's base lr 0.1, i.e. 0.1: Ferenas/CPN's absolute lr for its
# new layers (x10 on its base lr 0.01). x10 here gave them 1.0, ten times the authors'. (The
# head keeps the base config's x10.)
optim_wrapper = dict(
    paramwise_cfg=dict(custom_keys={'pcm': dict(lr_mult=1.0), 'prcm': dict(lr_mult=1.0)})
)
