# C²AM (Xie et al., CVPR 2022) as P-NOC trains it (thesis of seed 002, App. A.2: "the
# same hyper-parameters as Xie et al."; lucasdavid/PNOC scripts/ccam/train.py and
# runners/2-saliency.sh): ResNet-50 (ImageNet), VOC train_aug, images resized to 512 x 512
# and cropped to 448, flipped; batch 64 with 2 accumulated steps; SGD without momentum,
# lr 0.001 (disentangler x10, biases x2 without decay), wd 1e-4, poly 0.9 over 10 epochs;
# alpha 0.25. The polarity is decided at batch 600 (C²AM's border rule).
_base_ = [
    '../_base_/models/c2am_r50.py',
    '../_base_/datasets/voc_cls.py',
    '../_base_/schedules/sgd_poly_5e.py',
    '../_base_/default_runtime.py',
]
crop_size = (448, 448)
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(512, 512), keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(batch_size=64, dataset=dict(pipeline=train_pipeline))
# Saliency inference (tools/infer_saliency.py) on cam_dataloader's images (VOC train,
# original size), the authors' scales, each with its flip (scripts/ccam/inference.py).
saliency_infer = dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True)
test_dataloader = None
test_evaluator = None
test_cfg = None
# The authors step every 2 batches on the SUM of their losses (no division by the
# accumulation), MMEngine on their mean: lr 0.002 and wd 5e-5 here are their lr 0.001 and
# wd 1e-4 exactly (the update lr * (2 * mean_grad + wd * w)).
optim_wrapper = dict(
    optimizer=dict(lr=0.002, momentum=0.0, weight_decay=5e-5),
    accumulative_counts=2,
    # P-NOC's groups by parameter name (core/networks.py, get_parameter_groups): the
    # disentangler x10, biases (BatchNorm's too) x2 without decay; the longest key matches
    paramwise_cfg=dict(
        _delete_=True,
        custom_keys={
            'disentangler.1.bias': dict(lr_mult=20.0, decay_mult=0.0),
            'disentangler': dict(lr_mult=10.0),
            '.bias': dict(lr_mult=2.0, decay_mult=0.0),
        },
    ),
)
max_epochs = 10
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=max_epochs)
