# AdvCAM (seed 001) on the IRN / AdvCAM CAM network (ResNet-50, VOC train_aug): AdvCAM is
# post-hoc, so this is configs/cam/cam_r50_voc.py plus the inference settings of the
# authors' obtain_CAM_masking.py. The preset 'authors' is what jbeomlee93/AdvCAM computes
# (docs/methods/advcam.md: it beats the paper's form and CAM on our measurements).
_base_ = ['../cam/cam_r50_voc.py']
cam_infer = dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True)
cam_methods = dict(
    AdvCAM=dict(preset='authors', steps=27, step_size=0.08, reg_coeff=7.0, mask_threshold=0.5)
)
