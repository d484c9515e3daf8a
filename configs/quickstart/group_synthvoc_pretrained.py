# Group-WSSS (seed 004) in the paper's regime: from a "pretrained" backbone (the stand-in for
# ImageNet weights of cam_synthvoc_pretrained.py, whose header makes them), BN frozen, and
# the paper's ratio of learning rates: the graph and both readouts x10 over the backbone.
# Base lr 0.01 (0.1, the CAM network's, makes the loss NaN within 40 iterations here).
# 5 epochs of anchors = 375 iterations of 16 images, the budget of 20 epochs of the CAM
# network. Results: docs/methods/group_wsss.md.
_base_ = ['./group_synthvoc.py']
pretrained = 'data/synthvoc_pretrain/r18w16/epoch_20.pth'
model = dict(
    freeze_bn=True,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
)
optim_wrapper = dict(optimizer=dict(lr=0.01))
max_epochs = 5
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
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
