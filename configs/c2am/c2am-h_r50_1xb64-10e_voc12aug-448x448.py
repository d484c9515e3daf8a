# C²AM-H (thesis of seed 002, Eq. 29): C²AM plus the binary cross-entropy of the map
# against the foreground hints of a CAM network's CAMs (max over classes >= 0.4 = delta_fg),
# lambda_h = 1, targets smoothed by 0.1 (lucasdavid/PNOC scripts/ccam/train_hints.py and
# runners/2-saliency.sh), images resized to 515 x 515 (int(448 * 1.15)) and cropped to 448.
# The hints are sampled as the code does: the continuous CAM maximum bicubically resampled to
# the map's size, then thresholded (LoadCAMHint sampling='bicubic'; docs/methods/c2am.md).
# The hints anchor the polarity (foreground = positive map). CAMs of the training images
# come from tools/infer_cams.py; point cam_dir at them:
#   --cfg-options train_dataloader.dataset.pipeline.1.cam_dir=DIR
_base_ = ['./c2am_r50_1xb64-10e_voc12aug-448x448.py']
crop_size = (448, 448)
cam_dir = 'work_dirs/cams_train_aug'
model = dict(
    loss_hint=dict(type='C2AMHintLoss', loss_weight=1.0, label_smoothing=0.1),
    polarity='positive',
)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadCAMHint', cam_dir=cam_dir, fg_threshold=0.4, sampling='bicubic'),
    dict(type='Resize', scale=(515, 515), keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
