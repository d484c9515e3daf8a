# PSA / SEAM CAM network: ResNet-38d (output stride 8) -> Dropout2d(0.5) -> GAP -> 1x1 (4096 -> 20).
_base_ = ['./cam_classifier.py']
model = dict(
    freeze_bn=True,
    backbone=dict(
        type='ResNet38d',
        out_indices=(4,),
        frozen_stages=2,  # conv1a, b2, b2_1, b2_2 frozen, as PSA / SEAM / CPN
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnet38d_imagenet.pth'),
    ),
    head=dict(in_channels=4096, dropout=0.5),
)
