# P-OC with the P-NOC family's recipe at quickstart scale (the quickstart twin of
# configs/poc/poc_rs269_1xb16-15e_voc12aug-512x512.py): the Puzzle-CAM generator of
# puzzle_synthvoc_pretrained.py and its optimisation; the ordinary classifier is
# cam_synthvoc_fair_pretrained.py (trained first by tools/run_pipeline.py), its BatchNorm
# statistics and affine parameters fixed (the code's mode='fix'); λ_cse 0.3 -> 1.
# P-OC+LS: --cfg-options model.generator.head.loss.label_smoothing=0.1
#          model.loss_cse.label_smoothing=0.1
_base_ = ['./puzzle_synthvoc_pretrained.py']
_cam_backbone = {{_base_.model.backbone}}
_cam_head = {{_base_.model.head}}
model = dict(
    _delete_=True,
    type='OCCSE',
    data_preprocessor={{_base_.model.data_preprocessor}},
    generator=dict(
        type='PuzzleCAM',
        grid=2,
        lambda_re=0.0,
        re_loss='l1',
        backbone=_cam_backbone,
        head=_cam_head,
    ),
    ordinary_classifier=dict(
        type='CAMClassifier',
        freeze_bn=True,
        freeze_bn_affine=True,
        backbone=_cam_backbone,  # its weights come from oc_checkpoint
        head=_cam_head,
    ),
    oc_checkpoint=None,
    lambda_cse=0.3,
    erase=dict(strategy='random'),
    mask_norm='batch',
    loss_cse=dict(type='MultiLabelSoftMarginLoss', loss_name='loss_cse', label_smoothing=0.0),
)
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='LossWeightScheduleHook', key='generator.lambda_re', start=0.0, end=4.0, until=0.5),
    dict(type='LossWeightScheduleHook', key='lambda_cse', start=0.3, end=1.0),
]
auxiliary = [
    dict(
        name='ordinary_classifier',
        config='cam_synthvoc_fair_pretrained.py',
        checkpoint_key='model.oc_checkpoint',
    )
]
