# SegMix's schedule (seed 000, Sec. 4.1): SGD momentum 0.9, weight decay 5e-4, "poly"
# (power 0.9, per iteration) from 2.5e-4 over 50 epochs, one learning rate for every
# parameter (the paper names no head multiplier); the denoising stage sets lr 2.5e-5.
# Checkpoints every 5 epochs (the last two kept), validation at the end, logging counted
# in epochs (MMEngine's default log_processor), mmseg's SegVisualizationHook (off until
# --show / --show-dir).
max_epochs = 50
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=2.5e-4, momentum=0.9, weight_decay=5e-4),
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
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs, val_interval=max_epochs)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=True, interval=5, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='mmseg.SegVisualizationHook'),
)
