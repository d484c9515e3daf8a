# P-NOC's refinement settings without saliency (thesis, seed 002, and lucasdavid/PNOC
# scripts/rw/make_pseudo_labels.py): affinity labels at fg 0.40 / bg 0.10 from CRF-refined
# CAMs; the walked scores against a background of 0.30, then IRN's label CRF (crf_t 10,
# gt_prob 0.7). With C2AM-H saliency the background comes from `affinity_labels.saliency_dir`
# (tools/make_affinity_labels.py --saliency-dir): saliency <= 0.10 is background (P-NOC
# passes its bg threshold as the saliency threshold, runners/3-rw.sh; docs/methods/c2am.md).
_base_ = ['./affinity_r50_voc.py']
affinity_labels = dict(fg_threshold=0.40, bg_threshold=0.10, saliency_threshold=0.10)
random_walk = dict(cam_power=1.0, bg_value=0.30)
pseudo_labels = dict(crf=True)
