# The data preprocessor of every network here: mmseg's SegDataPreProcessor with ImageNet
# mean / std, BGR -> RGB, images padded with 0 and label maps with 255 (ignore). Model
# configs inherit it and reference it as {{_base_.data_preprocessor}}; configs set
# model.data_preprocessor.size to their crop size. (mmseg's DeepLabV3 / V3+ bases bring
# the same block.)
data_preprocessor = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
    pad_val=0,
    seg_pad_val=255,
)
