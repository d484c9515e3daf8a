# Puzzle-CAM (P^f) with the P-NOC family's recipe at quickstart scale (the quickstart twin of
# configs/puzzle/puzzle_rs269_1xb16-15e_voc12aug-512x512.py): from the "pretrained" backbone,
# batch 16 with 2 accumulated steps, SGD without momentum, the code's lr 0.1 / wd 1e-4 summed
# over the 2 steps (MMEngine averages them: lr 0.2, wd 5e-5), biases x2, 15 epochs; λ_re 0 -> 4
# over the first half.
_base_ = ['./cam_synthvoc_fair_pretrained.py']
model = dict(type='PuzzleCAM', grid=2, lambda_re=0.0, re_loss='l1')
train_dataloader = dict(batch_size=16)
optim_wrapper = dict(optimizer=dict(lr=0.2, weight_decay=5e-5), accumulative_counts=2)
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='lambda_re', start=0.0, end=4.0, until=0.5),
]
