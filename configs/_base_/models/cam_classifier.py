# A multi-label CAM network: backbone -> GAP -> bias-free 1x1 classifier (20 VOC classes).
# Model configs inherit it and set the backbone and the head's in_channels; method configs
# set data_preprocessor.size to their crop size.
_base_ = ['./seg_data_preprocessor.py']
model = dict(
    type='CAMClassifier',
    data_preprocessor={{_base_.data_preprocessor}},
    freeze_bn=False,
    backbone=dict(),  # set by the model config
    head=dict(
        type='GAPClassifierHead',
        in_channels=None,
        num_classes=20,
        # label_smoothing=0.1 is P-OC+LS / P-NOC+LS's (seed 002)
        loss=dict(type='MultiLabelSoftMarginLoss', label_smoothing=0.0),
    ),
)
