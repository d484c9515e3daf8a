# C²AM (Xie et al., CVPR 2022) on a ResNet-50 as P-NOC's CCAM (lucasdavid/PNOC
# core/networks.py, CCAM; not dilated): strides (1, 2, 2, 1) with layer4 dilated 2, output
# stride 16; the disentangler (3x3 conv, no bias, + BN, to one channel) on layer4 (2048)
# and layer3 (1024) concatenated. BN trains (P-NOC's mode 'normal'), stem included.
# Configs set data_preprocessor.size to their crop size.
_base_ = ['./seg_data_preprocessor.py']
model = dict(
    type='C2AM',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        dilations=(1, 1, 1, 2),
        out_indices=(2, 3),
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnet50_imagenet.pth'),
    ),
    in_channels=2048 + 1024,
    loss_pos=dict(type='SimMaxLoss', alpha=0.25),
    loss_neg=dict(type='SimMinLoss'),
    activation='relu',
    polarity='auto',
    polarity_check_iter=600,
)
