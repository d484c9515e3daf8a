# Table 2, row 1: the baseline CAM network (L_cls on I only), with CPN's ResNet-38d, data
# augmentation and schedule; its CAMs are the plain CAMs.
_base_ = ['./cpn_r38_voc.py']
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(768, 768), ratio_range=(448 / 768, 1.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    _delete_=True,
    type='CAMClassifier',
    data_preprocessor={{_base_.model.data_preprocessor}},
    freeze_bn=True,
    backbone={{_base_.model.backbone}},
    head={{_base_.model.head}},
)
