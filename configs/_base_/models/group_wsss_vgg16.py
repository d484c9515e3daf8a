# Group-WSSS's CAM network (seed 004; Lixy1997/Group-WSSS, models/vgg_gnn.py): the dilated
# VGG16 (pool4 a 3x3 stride-1 max-pool, conv5 dilation 2, no pool5: output stride 8) -> the
# code's three 3x3 convs of 512 channels + ReLU (the neck: new layers) -> h⁰, the graph
# nodes. GroupGNN over groups of K = 4 images (T = 3 rounds, low-rank factor d = 4, graph
# dropout δ_r = 0.8, δ_d = 0.7) -> h^T. Readouts: aux_head on h⁰ (intermediate output),
# head on h^T (graph output), each GAP + bias-free 1x1 (512 -> 20, the code's 1x1 conv);
# loss 0.4 · MLSM(intermediate) + MLSM(graph); CAMs self-ensembled.
# Backbone weights: MMPretrain's VGG-16 ImageNet checkpoint
# (vgg16_8xb32_in1k_20210208-7e55cd29.pth, a whole classifier, hence prefix='backbone.')
# copied to pretrain/vgg16_imagenet.pth, or the code's torchvision vgg16-397923af.pth converted
# to that layout by tools/model_converters/torchvision_vgg2mmpretrain.py (docs/faq.md).
_base_ = ['./cam_classifier.py']
group_size = 4
model = dict(
    type='GroupWSSS',
    freeze_bn=False,  # VGG16 has no BatchNorm
    backbone=dict(
        type='DilatedVGG',
        depth=16,
        dilations=(1, 1, 1, 1, 2),
        stride1_pools=(3,),
        with_last_pool=False,
        out_indices=(4,),
        init_cfg=dict(
            type='Pretrained', checkpoint='pretrain/vgg16_imagenet.pth', prefix='backbone.'
        ),
    ),
    neck=dict(type='ConvStackNeck', in_channels=512, channels=512, num_convs=3),
    head=dict(in_channels=512),
    aux_head=dict(type='GAPClassifierHead', in_channels=512, num_classes=20),
    gnn=dict(
        type='GroupGNN',
        in_channels=512,
        group_size=group_size,
        num_rounds=3,
        reduction=4,
        dropout=dict(type='GraphDropout', drop_rate=0.8, drop_threshold=0.7),
    ),
    lambda_pre=0.4,
    cam_source='ensemble',
)
