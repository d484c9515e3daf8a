# P-NOC+LS (seed 002, Algorithm 1, Eqs. 27-28), after lucasdavid/PNOC's runners: P-OC whose
# ordinary classifier is trained every step (k_noc = 1) on images with the generator's region
# of the erased class above δ_noc = 0.2 hidden; λ_noc 0 -> 1; label smoothing 0.1; two SGD
# optimizers (lr 0.1, heads x10, poly over 15 epochs).
_base_ = ['../poc/poc_rs269_1xb16-15e_voc12aug-512x512.py']
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
    end=15,
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
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', find_unused_parameters=False)
