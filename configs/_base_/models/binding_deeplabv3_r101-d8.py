# SegMix's feature binding network (Islam et al., IJCV 2023, Sec. 3.2): DeepLabv3
# ResNet-101-D8 (deeplabv3_r101-d8.py) whose ASPPHead is the dominant branch F_t, a second
# ASPPHead on the same res5c features as the phantom branch F_p, and the feature binding
# head F_fb (concat(S_t, S_p) -> 1x1 conv -> ReLU -> 1x1 conv) -> S_fb. The data
# preprocessor applies the mixing (model.data_preprocessor.batch_augments). No auxiliary
# FCN head ("without any bells and whistles", Sec. 4). Cross-entropy averaged over the
# labelled pixels (ignore 255), as PyTorch's. Types are prefixed: the inherited model
# dict is built in mmseg's scope.
_base_ = ['./deeplabv3_r101-d8.py']
loss_ce = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)
model = dict(
    type='wsss_mm.BindingSegmentor',
    data_preprocessor=dict(type='wsss_mm.MixSegDataPreProcessor'),  # mmseg's block, + mixing
    decode_head=dict(loss_decode=loss_ce),
    phantom_head=dict(_base_.model.decode_head, loss_decode=loss_ce),  # F_p: DeepLabv3's ASPPHead
    binding_head=dict(
        type='wsss_mm.FeatureBindingHead',
        num_classes=21,
        channels=256,
        align_corners=False,
        loss_decode=loss_ce,
    ),
    auxiliary_head=None,
    stage=1,
)
