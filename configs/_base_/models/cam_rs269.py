# The seed 002 thesis' CAM network: ResNeSt-269 at output stride 16 -> GAP -> 1x1, as
# lucasdavid/PNOC's Classifier('resnest269', dilated=False) builds it: layer4 with stride 1 and
# dilation 2, its first block at dilation 1 with its stride-1 average pool (DilatedResNeSt);
# a deep stem of 128 channels (the ImageNet model's stem_width 64 x 2).
_base_ = ['./cam_classifier.py']
model = dict(
    freeze_bn=False,
    backbone=dict(
        type='DilatedResNeSt',
        depth=269,
        stem_channels=128,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        out_indices=(3,),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnest269_imagenet.pth'),
    ),
    head=dict(in_channels=2048),
)
