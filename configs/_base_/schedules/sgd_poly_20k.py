# mmseg's schedule_20k (configs/_base_/schedules/schedule_20k.py): SGD lr 0.01, momentum
# 0.9, wd 5e-4, poly to 1e-4 over 20k iterations, validation and checkpoints every 2k
# iterations (the last two kept), logging counted in iterations, and mmseg's
# SegVisualizationHook (off until --show / --show-dir). Written out rather than inherited
# from mmseg::: the loops of an mmseg:: base carry _scope_='mmseg', so MMEngine would
# build the dataloaders in mmseg's scope, where our datasets and transforms
# (PseudoMaskDataset, LoadImage, ...) do not resolve.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=0.0005),
    clip_grad=None,
)
param_scheduler = [dict(type='PolyLR', eta_min=1e-4, power=0.9, begin=0, end=20000, by_epoch=False)]
train_cfg = dict(type='IterBasedTrainLoop', max_iters=20000, val_interval=2000)
val_cfg = dict(type='ValLoop')
test_cfg = dict(type='TestLoop')
log_processor = dict(by_epoch=False)
default_hooks = dict(
    timer=dict(type='IterTimerHook'),
    logger=dict(type='LoggerHook', interval=50, log_metric_by_epoch=False),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', by_epoch=False, interval=2000, max_keep_ckpts=2),
    sampler_seed=dict(type='DistSamplerSeedHook'),
    visualization=dict(type='mmseg.SegVisualizationHook'),
)
