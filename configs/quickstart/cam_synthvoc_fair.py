# The quickstart CAM network trained the way seed 002 asks (the base of the puzzle, occse,
# poc and pnoc quickstart configs): no masks in training or checkpoint choice (against
# Puzzle-CAM's mask-based early stop): image labels come from the label cache (built once
# from the masks), and validation is the classifier's val mAP, not the seeds' mIoU. Its
# pipeline section runs the refinement and segmentation stages of pipeline_synthvoc.py.
_base_ = ['./cam_synthvoc.py']
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
