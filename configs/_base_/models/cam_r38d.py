# PSA / SEAM CAM network: ResNet-38d (output stride 8) -> Dropout2d(0.5) -> GAP -> 1x1 (4096 -> 20).
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
        type='ResNet38d',
        out_indices=(4, ),
        frozen_stages=2,  # conv1a, b2, b2_1, b2_2 frozen, as PSA / SEAM / CPN
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnet38d_imagenet.pth')),
    head=dict(type='GAPClassifierHead', in_channels=4096, num_classes=20, dropout=0.5))
