# IRN's refinement settings (run_sample.py) on the AffinityNet of affinity_r50_voc.py:
# affinity labels at conf_fg_thres 0.30 / conf_bg_thres 0.05 from CRF-refined CAMs (its
# cam_eval_thres is 0.15), the CAMs walked as they are (no power), background 0.25.
_base_ = ['./affinity_r50_voc.py']
affinity_labels = dict(fg_threshold=0.30, bg_threshold=0.05)
random_walk = dict(cam_power=1.0, bg_value=0.25)
