# Puzzle-CAM's refinement settings (shjo-april/PuzzleCAM README and make_pseudo_labels.py):
# affinity labels at fg 0.40 / bg 0.10 from CRF-refined CAMs; the walked scores against a
# background of 0.35, then ONE iteration of IRN's label CRF (--crf_iteration 1).
_base_ = ['./affinity_r50_voc.py']
affinity_labels = dict(fg_threshold=0.40, bg_threshold=0.10)
random_walk = dict(cam_power=1.0, bg_value=0.35)
pseudo_labels = dict(crf=dict(_delete_=True, iterations=1))
