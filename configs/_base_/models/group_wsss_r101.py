# Group-WSSS's CAM network (seed 004) on ResNet-101, the backbone of the paper's best
# results (Table 1) and of its diagnostics (Table 3), for which no code was released: the
# VGG16 network (group_wsss_vgg16.py) with MMPretrain's ResNet-101 at output stride 16 (as
# cam_r50.py sets ResNet-50: strides (1, 2, 2, 1), BatchNorm frozen) in place of the dilated
# VGG16. The neck's three 3x3 convs take the 2048 channels to 512, so that the graph and the
# readouts are the VGG16 network's. Backbone weights: a torchvision or MMPretrain ResNet-101
# state dict at pretrain/resnet101_imagenet.pth (docs/faq.md).
_base_ = ['./group_wsss_vgg16.py']
model = dict(
    freeze_bn=True,
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ResNet',
        depth=101,
        strides=(1, 2, 2, 1),
        out_indices=(3,),
        frozen_stages=0,  # conv1 / bn1 frozen, as cam_r50.py
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnet101_imagenet.pth'),
    ),
    neck=dict(in_channels=2048),
)
