# SegMix's quickstart Table 9 "+ Mixup + Co-occurrence": DeepLabv3 (one output S_t with
# Mixup's loss, δ·ℓ(S_t, G_a) + (1 − δ)·ℓ(S_t, G_b)) on batches blended by co-occurrence
# (segmix_cm_synthvoc.py's CoOccurrenceMix and matrix file), without the binding network.
#   python tools/train.py configs/quickstart/segmix_mixup_cm_synthvoc.py --data-root data/synthvoc
_base_ = ['./segmix_cm_synthvoc.py']
model = dict(phantom_head=None, binding_head=None)
