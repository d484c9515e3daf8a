# OC-CSE (Kweon et al., ICCV 2021) at CPU scale: the quickstart CAM network is the generator;
# each image erases one of its classes with the generator's own map, and a frozen ordinary
# classifier (the quickstart CAM network, trained first) must miss it and find the others.
# λ_cse is ramped 0.3 -> 1 over training (seed 002, A.2). tools/run_pipeline.py trains the
# ordinary classifier as its train_auxiliary stage and sets model.oc_checkpoint; with
# tools/train.py pass --cfg-options model.oc_checkpoint=PATH.
_base_ = ['./cam_synthvoc_fair.py']
_cam_backbone = {{_base_.model.backbone}}
_cam_head = {{_base_.model.head}}
model = dict(
    _delete_=True,
    type='OCCSE',
    data_preprocessor={{_base_.model.data_preprocessor}},
    generator=dict(type='CAMClassifier', backbone=_cam_backbone, head=_cam_head),
    ordinary_classifier=dict(
        type='CAMClassifier', freeze_bn=True, backbone=_cam_backbone, head=_cam_head
    ),
    oc_checkpoint=None,
    lambda_cse=0.3,
    erase=dict(strategy='random'),
    mask_norm='batch',
    loss_cse=dict(type='MultiLabelSoftMarginLoss', loss_name='loss_cse', label_smoothing=0.0),
)
optim_wrapper = dict(paramwise_cfg=dict(custom_keys={'generator.head': dict(lr_mult=10.0)}))
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='lambda_cse', start=0.3, end=1.0),
]
# trained before the CAM network by tools/run_pipeline.py (stage train_auxiliary)
auxiliary = [
    dict(
        name='ordinary_classifier',
        config='cam_synthvoc_fair.py',
        checkpoint_key='model.oc_checkpoint',
    )
]
