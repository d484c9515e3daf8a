# A multi-label CAM network: backbone -> GAP -> bias-free 1x1 classifier (20 VOC classes).
# Model configs inherit it and set the backbone and the head's in_channels; method configs
# set data_preprocessor.size to their crop size.
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
    size=None)
model = dict(
    type='CAMClassifier',
    data_preprocessor=data_preprocessor,
    freeze_bn=False,
    backbone=dict(),  # set by the model config
    head=dict(type='GAPClassifierHead', in_channels=None, num_classes=20))
