# The whole quickstart pipeline on the synthetic VOC set (tools/run_pipeline.py,
# make demo): the CAM network of cam_synthvoc.py, then dense CRF, AffinityNet random
# walk -> pseudo masks, and DeepLab-v2 trained on them. Config paths are relative to
# this folder; both backbones start from the trained CAM network.
_base_ = ['./cam_synthvoc.py']
pipeline = dict(
    affinity_config='affinity_synthvoc.py',
    seg_config='deeplab_synthvoc.py',
    init_from_cam=True,
    affinity_options=dict(),
    seg_options=dict(),
)
