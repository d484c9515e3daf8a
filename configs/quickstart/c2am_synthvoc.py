# CPU-scale C²AM on the synthetic VOC set (tools/make_synthetic_voc.py): the quickstart CAM
# network's narrow ResNet-18 (base width 16, output stride 8) from scratch, the
# disentangler on layer4 (128) + layer3 (64), batch 16, crops of 112. The polarity is
# decided by C²AM's border rule at batch POLARITY_ITER. C²AM-H: c2am_synthvoc_hints.py.
_base_ = [
    '../_base_/models/c2am_r50.py',
    '../_base_/datasets/synthvoc.py',
    '../_base_/schedules/sgd_poly_5e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    backbone=dict(
        _delete_=True,
        type='mmpretrain.ResNet',
        depth=18,
        base_channels=16,
        stem_channels=16,
        strides=(1, 2, 1, 1),
        dilations=(1, 1, 2, 4),
        out_indices=(2, 3),
    ),
    in_channels=128 + 64,
    polarity_check_iter=100,
)
saliency_infer = dict(scales=(1.0, 0.5, 1.5), flip=True)
test_dataloader = None
test_evaluator = None
test_cfg = None
max_epochs = 20
optim_wrapper = dict(
    optimizer=dict(lr=0.05, momentum=0.9, weight_decay=1e-4),
    paramwise_cfg=dict(_delete_=True, custom_keys={'disentangler': dict(lr_mult=10.0)}),
)
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=max_epochs))
