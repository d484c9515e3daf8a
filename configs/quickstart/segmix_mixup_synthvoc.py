# SegMix's quickstart Mixup baseline (Table 1's "DeepLabv3 + Mixup"): the DeepLabv3 of
# segmix_deeplabv3_synthvoc.py (same budget) trained on batches blended by SegMixup
# (random partners, δ ~ Beta(1, 1)) with Mixup's loss δ·ℓ(S, G_a) + (1 − δ)·ℓ(S, G_b):
# BindingSegmentor without phantom branch nor binding head.
#   python tools/train.py configs/quickstart/segmix_mixup_synthvoc.py --data-root data/synthvoc
_base_ = ['./segmix_deeplabv3_synthvoc.py']
model = dict(
    type='wsss_mm.BindingSegmentor',
    data_preprocessor=dict(
        type='wsss_mm.MixSegDataPreProcessor',
        batch_augments=[dict(type='wsss_mm.SegMixup', alpha=1.0)],
    ),
)
