# P-NOC+LS (seed 002, Algorithm 1, Eqs. 27-28) at CPU scale: P-OC whose ordinary classifier is
# trained too, every k_noc generator steps, on images with the generator's confident region of
# the erased class hidden (δ_noc = 0.2), to find every class anyway. Label smoothing 0.1 on
# all three losses. Two optimizers (MultiOptimWrapperConstructor), one PolyLR each;
# λ_noc ramps 0 -> 1 (the thesis; the authors' code: 0 -> 0.5).
_base_ = ['./poc_synthvoc.py']
model = dict(
    type='PNOC',
    generator=dict(head=dict(loss=dict(label_smoothing=0.1))),
    loss_cse=dict(label_smoothing=0.1),
    k_noc=1,
    delta_noc=0.2,
    lambda_noc=0.0,
    loss_noc=dict(type='MultiLabelSoftMarginLoss', loss_name='loss_noc', label_smoothing=0.1),
    cse_grads_to_noc=False,
)
_sgd = dict(type='SGD', lr=0.1, momentum=0.9, weight_decay=1e-4)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=dict(
        type='OptimWrapper',
        optimizer=_sgd,
        paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}),
    ),
    ordinary_classifier=dict(
        type='OptimWrapper',
        optimizer=_sgd,
        paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)}),
    ),
)
_poly = dict(
    type='PolyLR',
    power=0.9,
    eta_min=0.0,
    begin=0,
    end={{_base_.max_epochs}},
    by_epoch=True,
    convert_to_iter_based=True,
)
param_scheduler = dict(_delete_=True, generator=[_poly], ordinary_classifier=[_poly])
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='generator.lambda_re', start=0.0, end=4.0, until=0.5),
    dict(type='LossWeightScheduleHook', key='lambda_cse', start=0.3, end=1.0),
    dict(type='LossWeightScheduleHook', key='lambda_noc', start=0.0, end=1.0),
]
# distributed: one DDP per network (the generator's and the ordinary classifier's steps)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', find_unused_parameters=False)
