# SegMix's CutMix baseline (Table 1 "DeepLabv3 + CutMix"): the DeepLabv3 of
# deeplabv3_r101-d8_4xb4-50e_voc12aug-513x513.py (same hyper-parameters) on batches where
# SegCutMix pastes a random partner's box, labels included (α = 1: not given).
_base_ = ['./deeplabv3_r101-d8_4xb4-50e_voc12aug-513x513.py']
model = dict(
    data_preprocessor=dict(
        type='wsss_mm.MixSegDataPreProcessor',
        batch_augments=[dict(type='wsss_mm.SegCutMix', alpha=1.0)],
    )
)
