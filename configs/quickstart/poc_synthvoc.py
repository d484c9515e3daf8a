# P-OC (seed 002, Eq. 26) at CPU scale: OC-CSE whose generator is Puzzle-CAM; λ_re 0 -> 4 over
# the first half, λ_cse 0.3 -> 1 over training. P-OC+LS: --cfg-options
# model.generator.head.loss.label_smoothing=0.1 model.loss_cse.label_smoothing=0.1
_base_ = ['./occse_synthvoc.py']
model = dict(generator=dict(type='PuzzleCAM', grid=2, lambda_re=0.0, re_loss='l1'))
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='generator.lambda_re', start=0.0, end=4.0, until=0.5),
    dict(type='LossWeightScheduleHook', key='lambda_cse', start=0.3, end=1.0),
]
