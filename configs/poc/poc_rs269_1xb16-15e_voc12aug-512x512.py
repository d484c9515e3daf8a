# P-OC (seed 002, Eq. 26): OC-CSE with a Puzzle-CAM generator, after lucasdavid/PNOC's runners:
# ResNeSt-269 generator and ordinary classifier (the `auxiliary` config below, trained first by
# tools/run_pipeline.py; BatchNorm statistics and affine parameters fixed, the code's
# mode='fix'), the Puzzle config's optimisation (batch 16 x 2 accumulated, SGD without
# momentum, the code's lr 0.1 / wd 1e-4, biases x2), 15 epochs; one random class erased per
# image, mask normalised over the batch; λ_re 0 -> 4 (first half), λ_cse 0.3 -> 1.
# P-OC+LS: --cfg-options model.generator.head.loss.label_smoothing=0.1
#          model.loss_cse.label_smoothing=0.1
_base_ = ['../puzzle/puzzle_rs269_1xb16-15e_voc12aug-512x512.py']
_backbone = {{_base_.model.backbone}}
model = dict(
    _delete_=True,
    type='OCCSE',
    data_preprocessor={{_base_.model.data_preprocessor}},
    generator=dict(
        type='PuzzleCAM',
        grid=2,
        lambda_re=0.0,
        backbone=_backbone,
        head=dict(
            type='GAPClassifierHead',
            in_channels=2048,
            num_classes=20,
            loss=dict(type='MultiLabelSoftMarginLoss', label_smoothing=0.0),
        ),
    ),
    ordinary_classifier=dict(
        type='CAMClassifier',
        freeze_bn=True,
        freeze_bn_affine=True,
        # its weights come from oc_checkpoint
        backbone=dict(
            type='DilatedResNeSt',
            depth=269,
            stem_channels=128,
            strides=(1, 2, 2, 1),
            dilations=(1, 1, 1, 2),
            out_indices=(3,),
        ),
        head=dict(type='GAPClassifierHead', in_channels=2048, num_classes=20),
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
        config='../cam/cam_rs269_1xb32-15e_voc12aug-512x512.py',
        checkpoint_key='model.oc_checkpoint',
    )
]
