# CPN from the "pretrained" quickstart backbone (see cam_synthvoc_pretrained.py for how to make
# it), with the recipe of cpn_synthvoc_from_cam.py (the paper's from ImageNet weights, scaled
# to the quickstart): BN frozen, lr 0.01 (head, PCM and PRCM x10 = 0.1), 10 epochs.
_base_ = ['./cpn_synthvoc_from_cam.py']
load_from = None
model = dict(
    backbone=dict(
        init_cfg=dict(
            type='Pretrained',
            checkpoint='data/synthvoc_pretrain/r18w16/epoch_20.pth',
            prefix='backbone.',
        )
    )
)
