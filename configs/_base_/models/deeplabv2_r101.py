# DeepLab-v2-ResNet101 (Chen et al., TPAMI 2017), the segmentation network of PSA, IRN,
# AdvCAM, CPN and Group-WSSS: ResNet-101 at output stride 8 (dilations 2, 4 in the last
# two stages), BatchNorm frozen, and the ASPP classifier (sum of four dilated 3x3 convs).
# mmseg has no DeepLab-v2, so this one is ours.
_base_ = ['./seg_data_preprocessor.py']
model = dict(
    type='mmseg.EncoderDecoder',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='mmseg.ResNet',
        depth=101,
        num_stages=4,
        out_indices=(3,),
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        style='caffe',
        norm_cfg=dict(type='BN', requires_grad=False),
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnet101_imagenet.pth'),
    ),
    decode_head=dict(
        type='wsss_mm.ASPPV2Head',  # mmseg.EncoderDecoder builds its parts in mmseg's scope
        in_channels=2048,
        dilations=(6, 12, 18, 24),
        num_classes=21,
        align_corners=False,
        loss_decode=dict(type='mmseg.CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0),
    ),
    train_cfg=dict(),
    test_cfg=dict(mode='whole'),
)
