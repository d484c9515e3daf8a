# SegMix's quickstart Binding-CM (stage 1, Eq. 5): the feature binding network (DeepLabv3
# encoder; ASPP dominant branch S_t and phantom branch S_p; feature binding head S_fb) on
# batches blended by co-occurrence (Algorithm 1: CoOccurrenceMix, δ ~ Beta(1, 1), γ = 4;
# δ := max(δ, 1 - δ), the text's "more weight on the source image": 70.6 against 49.0
# val mIoU for Algorithm 1's literal δ, docs/methods/segmix.md; `dominant_weight=False`
# gives the pseudo-code's form),
# same budget as segmix_deeplabv3_synthvoc.py. Make the co-occurrence matrix of the
# training masks first (the file of `cooccurrence_file`; another path with
# --cfg-options model.data_preprocessor.batch_augments.0.cooccurrence=FILE):
#   python tools/analysis_tools/cooccurrence.py --data-root data/synthvoc \
#       --split ImageSets/Segmentation/train.txt --out work_dirs/segmix_synthvoc_cooccurrence.npy
#   python tools/train.py configs/quickstart/segmix_cm_synthvoc.py --data-root data/synthvoc
# Tested with S_fb; the denoising stage is segmix_cm_dn_synthvoc.py.
_base_ = ['./segmix_deeplabv3_synthvoc.py']
cooccurrence_file = 'work_dirs/segmix_synthvoc_cooccurrence.npy'
model = dict(
    type='wsss_mm.BindingSegmentor',
    data_preprocessor=dict(
        type='wsss_mm.MixSegDataPreProcessor',
        batch_augments=[
            dict(
                type='wsss_mm.CoOccurrenceMix',
                cooccurrence=cooccurrence_file,
                alpha=1.0,
                gamma=4,
                dominant_weight=True,
            )
        ],
    ),
    phantom_head={{_base_.aspp_head}},
    binding_head=dict(
        type='wsss_mm.FeatureBindingHead',
        num_classes={{_base_.num_classes}},
        channels=32,
        align_corners=False,
        loss_decode={{_base_.loss_ce}},
    ),
    stage=1,
)
