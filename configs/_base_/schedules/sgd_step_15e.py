# Group-WSSS's schedule (seed 004; Lixy1997/Group-WSSS, train.py): SGD with Nesterov momentum
# 0.9, weight decay 5e-4, lr 1e-3 for the pretrained backbone and 1e-2 for the new layers,
# x0.1 at epochs 5 and 10, 15 epochs. The code's four groups (backbone weights x1, biases x2;
# new weights x10, biases x20) are NewLayersOptimWrapperConstructor's; method configs name
# their new layers (paramwise_cfg.new_layers). It decays weights only, the code biases too.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=1e-3, momentum=0.9, weight_decay=5e-4, nesterov=True),
    constructor='NewLayersOptimWrapperConstructor',
    paramwise_cfg=dict(new_lr_mult=10.0, bias_lr_mult=2.0),
)
param_scheduler = [
    dict(type='MultiStepLR', milestones=[5, 10], gamma=0.1, begin=0, end=15, by_epoch=True)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=15)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
