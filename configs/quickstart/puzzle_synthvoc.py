# Puzzle-CAM (Jo & Yu, ICIP 2021; seed 002's fair "P^f": no mask-based checkpoint choice) at
# CPU scale: the quickstart CAM network, the merged map of its 4 tiles, and
# L_cls + L_p-cls + λ_re·L_re with λ_re ramped 0 -> 4 over the first half of training.
_base_ = ['./cam_synthvoc_fair.py']
model = dict(type='PuzzleCAM', grid=2, lambda_re=0.0, re_loss='l1')
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='lambda_re', start=0.0, end=4.0, until=0.5),
]
