# Group-WSSS as its authors' code runs it (group_synthvoc_authors.py) in the paper's regime:
# from the "pretrained" backbone of cam_synthvoc_pretrained.py (whose header makes it), BN
# frozen; the authors' ratio (new layers x10) on the base lr below.
_base_ = ['./group_synthvoc_authors.py']
pretrained = 'data/synthvoc_pretrain/r18w16/epoch_20.pth'
model = dict(
    freeze_bn=True,
    backbone=dict(init_cfg=dict(type='Pretrained', checkpoint=pretrained, prefix='backbone.')),
)
optim_wrapper = dict(optimizer=dict(lr=0.001))
