# Puzzle-CAM (Jo & Yu, ICIP 2021; seed 002's fair "P^f": no mask-based checkpoint choice) at
# CPU scale: the quickstart CAM network, the merged map of its 4 tiles, and
# L_cls + L_p-cls + λ_re·L_re with λ_re ramped 0 -> 4 over the first half of training.
_base_ = ['./cam_synthvoc.py']
model = dict(type='PuzzleCAM', grid=2, lambda_re=0.0, re_loss='l1')
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='lambda_re', start=0.0, end=4.0, until=0.5),
]
# No masks in training or checkpoint choice (seed 002, against Puzzle-CAM's mask-based early
# stop): image labels come from the label cache (built once from the masks), and validation
# is the classifier's val mAP, not the seeds' mIoU.
train_dataloader = dict(dataset=dict(label_cache='cls_labels.json'))
test_dataloader = dict(dataset=dict(label_cache='cls_labels.json'))
val_dataloader = dict(
    _delete_=True,
    batch_size=1,
    num_workers=1,
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
# tools/run_pipeline.py: the refinement and segmentation stages of pipeline_synthvoc.py
pipeline = dict(
    affinity_config='affinity_synthvoc.py',
    seg_config='deeplab_synthvoc.py',
    init_from_cam=True,
    affinity_options=dict(),
    seg_options=dict(),
)
