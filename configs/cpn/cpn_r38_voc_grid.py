# CPN with the Grid Patch strategy: patch size drawn from K = {56, 112} (Fig. 7's best at 448),
# hide probability 0.5.
_base_ = ['./cpn_r38_voc.py']
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(768, 768), ratio_range=(448 / 768, 1.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='GridComplementaryPatches', grid_sizes=(56, 112), hide_prob=0.5),
    dict(type='PackCPInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
