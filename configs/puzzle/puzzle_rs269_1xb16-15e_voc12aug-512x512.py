# Puzzle-CAM as seed 002 trains it (the fair P^f: no mask-based checkpoint choice), after
# lucasdavid/PNOC's runners/1-priors.sh: ResNeSt-269 at output stride 16, VOC train_aug, 15
# epochs, crop 512; L_cls + L_p-cls + λ_re·L1, λ_re 0 -> 4 over the first half. The runner's
# optimisation: batch 16 with 2 accumulated steps, SGD without momentum, lr 0.1, wd 1e-4
# (biases x2 without decay, classifier x10), no augmentation but resize, crop and flip
# (--augment none). The code sums the 2 steps' gradients; MMEngine averages them, so its lr
# 0.2 and weight decay 5e-5 are the code's 0.1 and 1e-4 exactly.
_base_ = ['../cam/cam_rs269_1xb32-15e_voc12aug-512x512.py']
model = dict(
    type='PuzzleCAM', grid=2, lambda_re=0.0, re_loss='l1', head=dict(loss=dict(label_smoothing=0.0))
)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(640, 640), ratio_range=(0.5, 1.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(batch_size=16, dataset=dict(pipeline=train_pipeline))
optim_wrapper = dict(optimizer=dict(lr=0.2, weight_decay=5e-5), accumulative_counts=2)
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='lambda_re', start=0.0, end=4.0, until=0.5),
]
# validation: the classifier's val mAP, from the label cache (no mask is opened)
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=2,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='VOCClsDataset',
        data_root={{_base_.data_root}},
        ann_file='ImageSets/Segmentation/val.txt',
        label_cache='cls_labels.json',
        pipeline={{_base_.test_pipeline}},
    ),
)
val_evaluator = dict(_delete_=True, type='MultiLabelMetric')
val_cfg = dict(_delete_=True, type='ValLoop')
train_cfg = dict(val_interval=1)
