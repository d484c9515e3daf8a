# DeepLabV3+ (Chen et al., ECCV 2018): mmseg's DepthwiseSeparableASPPHead on
# ResNet-101-D8, i.e. mmseg's configs/_base_/models/deeplabv3plus_r50-d8.py with depth 101
# and VOC's 21 classes (as mmseg's deeplabv3plus_r101-d8_4xb4-20k_voc12aug-512x512). The
# inherited dicts keep mmseg's unprefixed type names: MMEngine builds them in mmseg's scope.
_base_ = ['mmseg::_base_/models/deeplabv3plus_r50-d8.py']
model = dict(
    pretrained='pretrain/resnet101_v1c.pth',  # a local copy of open-mmlab://resnet101_v1c
    backbone=dict(depth=101),
    decode_head=dict(num_classes=21),
    auxiliary_head=dict(num_classes=21),
)
