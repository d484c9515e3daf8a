# SegMix's baseline (seed 000, Table 1 "DeepLabv3-ResNet101"): mmseg's DeepLabV3
# ResNet-101-D8 without the auxiliary FCN head ("without any bells and whistles",
# Sec. 4), VOC train_aug with 513 crops, SGD 0.9 / wd 5e-4 / poly from 2.5e-4, 50 epochs.
# The paper gives no batch size: mmseg's VOC recipe, 4 GPUs x 4 images.
#   bash tools/dist_train.sh configs/segmix/deeplabv3_r101-d8_4xb4-50e_voc12aug-513x513.py 4
_base_ = [
    '../_base_/models/deeplabv3_r101-d8.py',
    '../_base_/datasets/voc_aug_seg_513.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_50e.py',
]
loss_ce = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    decode_head=dict(loss_decode=loss_ce),
    auxiliary_head=None,
)
train_dataloader = dict(batch_size=4, num_workers=4)
