# IRN CAM schedule: SGD without momentum, lr 0.1 (classifier x10), wd 1e-4, poly 0.9 per
# iteration, 5 epochs; checkpoints every epoch (the last two kept), logging counted in epochs
# (MMEngine's default log_processor, so that this file also combines with
# mmseg::_base_/default_runtime.py). No momentum: IRN's PolyOptimizer (misc/torchutils.py)
# calls torch.optim.SGD(params, lr, weight_decay), where SGD's third argument is the momentum,
# so IRN (and AdvCAM, PSA, SEAM and Puzzle-CAM, which copy it) train with momentum = the
# weight decay (1e-4 or 5e-4: none in effect) and its "momentum=0.9" is the poly power; P-NOC's
# get_optimizer(algorithm='sgd') sets momentum 0.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.1, momentum=0.0, weight_decay=1e-4),
    paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}),
)
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=5,
        by_epoch=True,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=5)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=1, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
)
