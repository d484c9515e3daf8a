# IRN / AdvCAM CAM network: ResNet-50 at output stride 16 -> GAP -> 1x1 (2048 -> 20).
# mmpretrain's strides=(1, 2, 2, 1) with its stride-4 stem is IRN's strides=(2, 2, 2, 1).
_base_ = ['./cam_classifier.py']
model = dict(
    freeze_bn=True,
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3,),
        frozen_stages=0,  # conv1 / bn1 frozen, as IRN
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnet50_imagenet.pth'),
    ),
    head=dict(in_channels=2048),
)
