# IRN / AdvCAM CAM network: ResNet-50 at output stride 16 -> GAP -> 1x1 (2048 -> 20).
# mmpretrain's strides=(1, 2, 2, 1) with its stride-4 stem is IRN's strides=(2, 2, 2, 1).
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=None)  # set to the crop size by the method config
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    freeze_bn=True,
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(3, ),
        frozen_stages=0,  # conv1 / bn1 frozen, as IRN
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnet50_imagenet.pth')),
    head=dict(type='GAPClassifierHead', in_channels=2048, num_classes=20))
