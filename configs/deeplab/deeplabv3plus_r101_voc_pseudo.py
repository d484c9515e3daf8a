# DeepLabV3+ ResNet-101-D8 (the segmentation network of P-NOC) trained on pseudo masks
# of VOC train_aug with mmseg's VOC recipe (deeplabv3plus_r101-d8_4xb4-20k_voc12aug-
# 512x512); tested on val, multi-scale + flip. P-NOC replaces BN by GroupNorm
# (model.backbone.norm_cfg / decode_head.norm_cfg = dict(type='GN', num_groups=32)).
_base_ = [
    '../_base_/models/deeplabv3plus_r101-d8.py',
    '../_base_/datasets/voc_pseudo_seg.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_20k.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
