# Runtime settings shared by every config (mmseg's layout: the loops, the optimizer, the
# learning-rate schedule and the hooks that depend on them, default_hooks and
# log_processor, live in _base_/schedules/; each config lists one schedule and this file).
default_scope = 'wsss_mm'
custom_imports = dict(imports=['wsss_mm'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=False,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
# mmseg's visualizer: draws segmentations for default_hooks.visualization (--show-dir)
visualizer = dict(type='mmseg.SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_level = 'INFO'
load_from = None
resume = False
custom_hooks = [dict(type='FiniteLossHook')]
randomness = dict(seed=0)
# multi-scale + flip testing of segmentors wraps the model in this (with tta_pipeline)
tta_model = dict(type='mmseg.SegTTAModel')
