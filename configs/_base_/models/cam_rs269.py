# The seed 002 thesis' CAM network: ResNeSt-269 (mmpretrain) at output stride 16 -> GAP -> 1x1.
_base_ = ['./cam_classifier.py']
model = dict(
    freeze_bn=False,
    backbone=dict(
        type='mmpretrain.ResNeSt',
        depth=269,
        strides=(1, 2, 2, 1),
        out_indices=(3,),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnest269_imagenet.pth'),
    ),
    head=dict(in_channels=2048),
)
