# The quickstart CAM network from a "pretrained" backbone, the stand-in for ImageNet weights
# that every seed paper starts from: the same narrow ResNet-18 trained once on a separate,
# larger synthetic set (another seed, 3000 images: never the evaluation images), loaded
# through init_cfg as ImageNet weights are. Make the weights once:
#   python tools/make_synthetic_voc.py data/synthvoc_pretrain --num-train 3000 \
#       --num-val 100 --seed 1
#   python tools/train.py configs/quickstart/cam_synthvoc.py --data-root data/synthvoc_pretrain \
#       --work-dir data/synthvoc_pretrain/r18w16 --epochs 20
#   (--epochs also ends the PolyLR and sets the checkpoint interval at epoch 20)
# Then the IRN / AdvCAM recipe from pretrained weights: BN frozen, lr 0.1 (head x10), 5 epochs.
_base_ = ['./cam_synthvoc.py']
pretrained = 'data/synthvoc_pretrain/r18w16/epoch_20.pth'
model = dict(
    freeze_bn=True,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
)
max_epochs = 5
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
