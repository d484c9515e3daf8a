# CAM baseline of IRN / AdvCAM: ResNet-50, VOC train_aug, batch 16, 5 epochs, lr 0.1, crop 512.
_base_ = [
    '../_base_/models/cam_r50.py',
    '../_base_/datasets/voc_cls.py',
    '../_base_/schedules/sgd_poly_5e.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
