# The quickstart pipeline (pipeline_synthvoc.py: CAM network, dense CRF, AffinityNet
# random walk -> pseudo masks) with SegMix's binding network as the segmentation stage:
# Binding-CC stage 1 on the pseudo masks (segmix_cc_pseudo_synthvoc.py), tested with
# S_fb, multi-scale + flip. Config paths are relative to this folder.
#   python tools/run_pipeline.py configs/quickstart/segmix_pipeline_synthvoc.py \
#       --data-root data/synthvoc --work-dir work_dirs/segmix_pipeline_synthvoc
_base_ = ['./pipeline_synthvoc.py']
pipeline = dict(seg_config='segmix_cc_pseudo_synthvoc.py')
