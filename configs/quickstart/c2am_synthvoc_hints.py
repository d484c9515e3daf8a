# CPU-scale C²AM-H: c2am_synthvoc.py plus the hint loss (lambda_h 1, targets smoothed by
# 0.1) on the foreground hints of the quickstart CAM network's CAMs (max over classes
# >= delta_fg = 0.4; LoadCAMHint, bicubically resampled to the map's cells and then
# thresholded, as the authors' code). The hints anchor the polarity. CAMs of the training
# images (tools/infer_cams.py); another folder with
#   --cfg-options train_dataloader.dataset.pipeline.1.cam_dir=DIR
_base_ = ['./c2am_synthvoc.py']
cam_dir = 'work_dirs/quickstart_cam/cams'
model = dict(
    loss_hint=dict(type='C2AMHintLoss', loss_weight=1.0, label_smoothing=0.1),
    polarity='positive',
)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadCAMHint', cam_dir=cam_dir, fg_threshold=0.4, sampling='bicubic'),
    dict(type='RandomResize', scale=(128, 128), ratio_range=(0.875, 1.25), keep_ratio=True),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
