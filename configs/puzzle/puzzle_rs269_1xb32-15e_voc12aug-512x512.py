# Puzzle-CAM as seed 002 trains it (the fair P^f: no mask-based checkpoint choice), after
# lucasdavid/PNOC's runners: ResNeSt-269, VOC train_aug, 15 epochs, batch 32, lr 0.1 (head
# x10), wd 1e-4, crop 512; L_cls + L_p-cls + λ_re·L1, λ_re 0 -> 4 over the first half.
_base_ = ['../cam/cam_rs269_1xb32-15e_voc12aug-512x512.py']
model = dict(
    type='PuzzleCAM', grid=2, lambda_re=0.0, re_loss='l1', head=dict(loss=dict(label_smoothing=0.0))
)
# color augmentation only (the thesis: RandAugment hurt Puzzle / OC-CSE)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(640, 640), ratio_range=(0.5, 1.0), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PhotoMetricDistortion'),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
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
