# AdvCAM on the quickstart CAM network (AdvCAM is post-hoc: train cam_synthvoc.py, then infer
# with this config and that checkpoint). The preset 'authors' (jbeomlee93/AdvCAM's objective,
# units and flip pairs) beat CAM and the paper's form over 3 training seeds
# (docs/methods/advcam.md), so it is the one configured here.
_base_ = ['./cam_synthvoc.py']
cam_methods = dict(
    AdvCAM=dict(preset='authors', steps=27, step_size=0.08, reg_coeff=7.0, mask_threshold=0.5)
)
