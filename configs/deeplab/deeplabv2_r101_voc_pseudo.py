# DeepLab-v2-ResNet101 on pseudo masks of VOC train_aug, DeepLab-v2's VOC recipe as used
# by PSA / IRN / AdvCAM (deeplab-pytorch): batch 10, 321 crops of images rescaled by
# 0.5-1.5, SGD lr 2.5e-4 (classifier x10), momentum 0.9, wd 5e-4, poly 0.9, 20k
# iterations; ImageNet-pretrained backbone, frozen BN; tested on val at scales
# 0.5, 0.75, 1.0 with flips (the papers add a dense CRF on top).
_base_ = [
    '../_base_/models/deeplabv2_r101.py',
    '../_base_/datasets/voc_pseudo_seg.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_20k.py',
]
crop_size = (321, 321)
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='mmseg.RandomResize', scale=(512, 512), ratio_range=(0.5, 1.5), keep_ratio=True),
    dict(type='mmseg.RandomCrop', crop_size=crop_size),
    dict(type='mmseg.RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(batch_size=10, dataset=dict(pipeline=train_pipeline))
# voc_aug_seg.py's multi-scale + flip test at DeepLab-v2's scales
img_ratios = [0.5, 0.75, 1.0]
tta_pipeline = _base_.tta_pipeline
tta_pipeline[1].transforms[0] = [
    dict(type='mmseg.Resize', scale_factor=r, keep_ratio=True) for r in img_ratios
]
optim_wrapper = dict(
    optimizer=dict(lr=2.5e-4), paramwise_cfg=dict(custom_keys={'decode_head': dict(lr_mult=10.0)})
)
param_scheduler = [dict(type='PolyLR', eta_min=0.0, power=0.9, begin=0, end=20000, by_epoch=False)]
