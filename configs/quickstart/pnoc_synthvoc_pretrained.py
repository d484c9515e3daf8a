# P-NOC+LS with the P-NOC family's recipe at quickstart scale (the quickstart twin of
# configs/pnoc/pnoc_rs269_1xb16-15e_voc12aug-512x512.py): P-OC of poc_synthvoc_pretrained.py
# whose ordinary classifier (BatchNorm fixed) is trained too, every step, on images with the
# generator's region of the erased class above δ_noc = 0.2 hidden; λ_noc 0 -> 1; label
# smoothing 0.1; two optimizers, each the generator's of puzzle_synthvoc_pretrained.py.
_base_ = ['./poc_synthvoc_pretrained.py']
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
_wrapper = {{_base_.optim_wrapper}}
optim_wrapper = dict(
    _delete_=True,
    constructor='MultiOptimWrapperConstructor',
    generator=_wrapper,
    ordinary_classifier=_wrapper,
)
_poly = {{_base_.param_scheduler}}
param_scheduler = dict(_delete_=True, generator=_poly, ordinary_classifier=_poly)
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='generator.lambda_re', start=0.0, end=4.0, until=0.5),
    dict(type='LossWeightScheduleHook', key='lambda_cse', start=0.3, end=1.0),
    dict(type='LossWeightScheduleHook', key='lambda_noc', start=0.0, end=1.0),
]
# distributed: one DDP per network (the generator's and the ordinary classifier's steps)
model_wrapper_cfg = dict(type='MMSeparateDistributedDataParallel', find_unused_parameters=False)
