# DeepLabV3 ResNet-101-D8 trained on pseudo masks of VOC train_aug with mmseg's VOC
# recipe (deeplabv3_r101-d8_4xb4-20k_voc12aug-512x512: 4 GPUs x 4 images, 512 crops,
# SGD lr 0.01 poly, 20k iterations); tested on val, multi-scale + flip.
_base_ = [
    '../_base_/models/deeplabv3_r101-d8.py',
    '../_base_/datasets/voc_pseudo_seg.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_20k.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
