# AffinityNet (PSA) on IRN's ResNet-50 (output stride 16): features of layer2 (stride 8),
# layer3 and layer4 projected to 64 / 128 / 256 channels, embedded in 448 (PSA), pairs
# within radius 5 at stride 8. Configs set data_preprocessor.size to their crop size.
_base_ = ['./seg_data_preprocessor.py']
model = dict(
    type='AffinityNet',
    data_preprocessor={{_base_.data_preprocessor}},
    backbone=dict(
        type='mmpretrain.ResNet',
        depth=50,
        strides=(1, 2, 2, 1),
        out_indices=(1, 2, 3),
        frozen_stages=0,
        norm_eval=True,
        init_cfg=dict(type='Pretrained', checkpoint='pretrain/resnet50_imagenet.pth'),
    ),
    in_channels=(512, 1024, 2048),
    channels=(64, 128, 256),
    embed_channels=448,
    radius=5,
)
