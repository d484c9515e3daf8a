# SegMix's quickstart Binding-CM with Binding-CC's δ: segmix_cm_synthvoc.py with
# δ ~ U[0.7, 1] drawn for each sample (segmix_cc_synthvoc.py's ClusterMixDataset range,
# CoOccurrenceMix's delta_range) and no γ rule (the clustering has none), so that
# Binding-CM against Binding-CC compares how the partner is chosen (the image of the batch
# whose classes co-occur most vs. a random image of another class cluster), not δ.
# Same budget as every quickstart stage-1 config; the co-occurrence file of
# segmix_cm_synthvoc.py first.
#   python tools/train.py configs/quickstart/segmix_cm_uniform_delta_synthvoc.py \
#       --data-root data/synthvoc
_base_ = ['./segmix_cm_synthvoc.py']
model = dict(
    data_preprocessor=dict(
        batch_augments=[
            dict(
                type='wsss_mm.CoOccurrenceMix',
                cooccurrence={{_base_.cooccurrence_file}},
                alpha=1.0,  # unused: delta_range replaces the Beta draw
                gamma=None,
                delta_range=(0.7, 1.0),
            )
        ],
    ),
)
