# The P-NOC family's recipe at quickstart scale (configs/cam/cam_rs269_1xb32-15e_voc12aug-512x512.py
# shrunk): the CAM network of cam_synthvoc_fair.py from the "pretrained" quickstart backbone
# (the stand-in for ImageNet weights: see cam_synthvoc_pretrained.py for how to make it),
# trained as lucasdavid/PNOC's "vanilla" run trains the ordinary classifier: SGD without
# momentum, lr 0.1 (classifier x10, every bias x2 without weight decay), wd 1e-4, poly 0.9,
# batch 32, BatchNorm trained, 15 epochs. (The authors' run also uses label smoothing 0.1
# and RandAugment; as in cam_synthvoc_fair.py, neither is used here.) The base of
# puzzle / poc / pnoc_synthvoc_pretrained.py, and their ordinary classifier.
_base_ = ['./cam_synthvoc_fair.py']
pretrained = 'data/synthvoc_pretrain/r18w16/epoch_20.pth'
model = dict(
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.'))
)
max_epochs = 15
train_dataloader = dict(batch_size=32)
optim_wrapper = dict(
    optimizer=dict(lr=0.1, momentum=0.0, weight_decay=1e-4),
    paramwise_cfg=dict(
        custom_keys={'head': dict(lr_mult=10.0), '.bias': dict(lr_mult=2.0, decay_mult=0.0)}
    ),
)
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
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
