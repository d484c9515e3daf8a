# cpn_synthvoc.py initialised from the trained quickstart CAM network (cam_synthvoc.py, 40
# epochs): the backbone and the classifier head load from its checkpoint, PCM and PRCM (absent
# there) keep their initialisation (MMEngine's load_from is non-strict). Other checkpoint:
# --cfg-options load_from=PATH. As Ferenas/CPN when it starts from trained weights: BN frozen,
# base lr 0.01 for the trained layers and x10 (0.1) for the head and the new layers; 10 epochs.
_base_ = ['./cpn_synthvoc.py']
load_from = 'work_dirs/quickstart_cam/epoch_40.pth'
model = dict(freeze_bn=True)
max_epochs = 10
optim_wrapper = dict(
    optimizer=dict(lr=0.01),
    paramwise_cfg=dict(
        custom_keys={
            'head': dict(lr_mult=10.0),
            'pcm': dict(lr_mult=10.0),
            'prcm': dict(lr_mult=10.0),
        }
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
train_cfg = dict(max_epochs=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
