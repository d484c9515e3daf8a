# SegMix's quickstart CutMix baseline (Table 1's "DeepLabv3 + CutMix"): the DeepLabv3 of
# segmix_deeplabv3_synthvoc.py (same budget) trained on batches where SegCutMix pastes a
# box of a random partner, labels included (one map: mmseg's EncoderDecoder as it is).
#   python tools/train.py configs/quickstart/segmix_cutmix_synthvoc.py --data-root data/synthvoc
_base_ = ['./segmix_deeplabv3_synthvoc.py']
model = dict(
    data_preprocessor=dict(
        type='wsss_mm.MixSegDataPreProcessor',
        batch_augments=[dict(type='wsss_mm.SegCutMix', alpha=1.0)],
    ),
)
