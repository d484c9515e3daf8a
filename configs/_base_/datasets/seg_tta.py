# Multi-scale + flip testing of segmentors, mmseg's recipe (its tools/test.py --tta;
# wsss_mm.apis.train_seg.enable_tta): TestTimeAug over img_ratios x {no flip, flip},
# merged by default_runtime.py's tta_model (SegTTAModel). The same pipeline as mmseg's
# pascal_voc12.py, which the VOC configs get through voc_aug_seg.py. A config with other
# scales replaces the Resize list only:
#   img_ratios = [0.75, 1.0, 1.25]
#   tta_pipeline = _base_.tta_pipeline
#   tta_pipeline[1].transforms[0] = [
#       dict(type='mmseg.Resize', scale_factor=r, keep_ratio=True) for r in img_ratios]
img_ratios = [0.5, 0.75, 1.0, 1.25, 1.5, 1.75]
tta_pipeline = [
    dict(type='mmseg.LoadImageFromFile'),
    dict(
        type='TestTimeAug',
        transforms=[
            [dict(type='mmseg.Resize', scale_factor=r, keep_ratio=True) for r in img_ratios],
            [
                dict(type='mmseg.RandomFlip', prob=0.0, direction='horizontal'),
                dict(type='mmseg.RandomFlip', prob=1.0, direction='horizontal'),
            ],
            [dict(type='mmseg.LoadAnnotations')],
            [dict(type='mmseg.PackSegInputs')],
        ],
    ),
]
