# DeepLabV3+ (Chen et al., ECCV 2018): mmseg's DepthwiseSeparableASPPHead on
# ResNet-101-D8, as mmseg's configs/_base_/models/deeplabv3plus_r50-d8.py with depth 101
# and VOC's 21 classes.
_base_ = ['./deeplabv3_r101-d8.py']
model = dict(
    decode_head=dict(
        _delete_=True,
        type='mmseg.DepthwiseSeparableASPPHead',
        in_channels=2048,
        in_index=3,
        channels=512,
        dilations=(1, 12, 24, 36),
        c1_in_channels=256,
        c1_channels=48,
        dropout_ratio=0.1,
        num_classes=21,
        norm_cfg={{_base_.norm_cfg}},
        align_corners=False,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0)))
