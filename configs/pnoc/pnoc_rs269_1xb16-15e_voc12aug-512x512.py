# P-NOC+LS (seed 002, Algorithm 1, Eqs. 27-28), after lucasdavid/PNOC's runners: P-OC whose
# ordinary classifier is trained every step (k_noc = 1) on images with the generator's region
# of the erased class above δ_noc = 0.2 hidden, its BatchNorm fixed (mode='fix'); λ_noc 0 -> 1;
# label smoothing 0.1; two SGD optimizers as the code's get_optimizer('sgd'): no momentum,
# lr 0.1 and wd 1e-4 over 2 accumulated batches of 16 (MMEngine, which averages them: lr 0.2,
# wd 5e-5), biases x2 without decay, classifiers x10, poly over 15 epochs.
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
_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='SGD', lr=0.2, momentum=0.0, weight_decay=5e-5),
    accumulative_counts=2,
    paramwise_cfg=dict(
        custom_keys={'head': dict(lr_mult=10.0), '.bias': dict(lr_mult=2.0, decay_mult=0.0)}
    ),
)
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=_wrapper,
    ordinary_classifier=_wrapper,
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
