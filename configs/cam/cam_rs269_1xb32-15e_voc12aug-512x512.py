# The ordinary classifier of seed 002's OC-CSE / P-OC / P-NOC (lucasdavid/PNOC's "vanilla"
# RS269 run, runners/1-priors.sh, scripts/cam/train_vanilla.py): ResNeSt-269 at output stride
# 16, VOC train_aug, 15 epochs, batch 32, crop 512 from a long side in [320, 640], label
# smoothing 0.1 and RandAugment (thesis, A.2); SGD without momentum (get_optimizer's 'sgd'),
# lr 0.1, wd 1e-4, poly 0.9; the code's four parameter groups: weights x1, biases x2 without
# weight decay, the classifier (from scratch) x10; BatchNorm trained (mode 'normal').
_base_ = [
    '../_base_/models/cam_rs269.py',
    '../_base_/datasets/voc_cls.py',
    '../_base_/schedules/sgd_poly_5e.py',
    '../_base_/default_runtime.py',
]
max_epochs = 15
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    head=dict(loss=dict(label_smoothing=0.1)),
)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(640, 640), ratio_range=(0.5, 1.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(
        type='mmpretrain.RandAugment',
        _scope_='mmpretrain',  # its policies are mmpretrain transforms
        policies='timm_increasing',
        num_policies=2,
        total_level=10,
        magnitude_level=9,
        magnitude_std=0.5,
        hparams=dict(pad_val=[104, 116, 124]),
    ),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(
    batch_size=32, dataset=dict(pipeline=train_pipeline, label_cache='cls_labels.json')
)
# every bias (BatchNorm's too) at 2 x lr without weight decay: MMEngine's bias_lr_mult skips
# the norm layers' biases, so a name key does it ('.bias' is longer than 'head': it wins)
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={'head': dict(lr_mult=10.0), '.bias': dict(lr_mult=2.0, decay_mult=0.0)}
    )
)
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
