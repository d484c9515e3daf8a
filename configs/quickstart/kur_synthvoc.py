# KUR-α head (seed 002, Eq. 25 and B.1.4) on the quickstart CAM network and synthetic VOC set.
_base_ = ['./cam_synthvoc.py']
model = dict(head=dict(type='KURHead', alpha=None))  # None: α = num_classes (KUR-α)
