# SegMix's Binding-CM, stage 1 (seed 000, Eq. 5; Table 7 "w/o DN", Table 8 "w/ FBH",
# Table 9 "+ Binding"): the feature binding network (binding_deeplabv3_r101-d8.py) on
# batches blended by co-occurrence (Algorithm 1, CoOccurrenceMix; the paper gives no α or
# γ: α = 1, γ = 4; δ := max(δ, 1 - δ), the text's "more weight on the source image", which
# beat Algorithm 1's literal δ ~ Beta(α, α) by 21.6 mIoU at quickstart scale,
# docs/methods/segmix.md; `dominant_weight=False` for the literal form), tested with S_fb.
# The co-occurrence matrix of train_aug first:
#   python tools/analysis_tools/cooccurrence.py --data-root data/VOCdevkit/VOC2012 \
#       --split ImageSets/Segmentation/train_aug.txt --out work_dirs/voc_cooccurrence.npy
#   bash tools/dist_train.sh configs/segmix/binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py 4
# Without the feature binding head (Table 8 "w/o FBH"):
#   --cfg-options model.binding_head=None model.predict_with=dominant
_base_ = [
    '../_base_/models/binding_deeplabv3_r101-d8.py',
    '../_base_/datasets/voc_aug_seg_513.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_50e.py',
]
cooccurrence_file = 'work_dirs/voc_cooccurrence.npy'
model = dict(
    data_preprocessor=dict(
        size={{_base_.crop_size}},
        batch_augments=[
            dict(
                type='wsss_mm.CoOccurrenceMix',
                cooccurrence=cooccurrence_file,
                alpha=1.0,
                gamma=4,
                dominant_weight=True,
            )
        ],
    )
)
train_dataloader = dict(batch_size=4, num_workers=4)
