# SegMix's Mixup baseline (Table 1 "DeepLabv3 + Mixup", Table 9 "+ Mixup"): DeepLabv3
# (no phantom branch, no binding head) on batches blended with random partners
# (SegMixup, δ ~ Beta(1, 1); α not given) and Mixup's loss δ·ℓ(S, G_a) + (1 − δ)·ℓ(S, G_b);
# the hyper-parameters of binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py.
_base_ = ['./binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py']
model = dict(
    data_preprocessor=dict(batch_augments=[dict(type='wsss_mm.SegMixup', alpha=1.0)]),
    phantom_head=None,
    binding_head=None,
)
