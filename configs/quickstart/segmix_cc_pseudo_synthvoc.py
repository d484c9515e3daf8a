# SegMix's Binding-CC (segmix_cc_synthvoc.py) trained on pseudo masks instead of the
# ground truth: the segmentation stage of segmix_pipeline_synthvoc.py. The clusters and
# the labels come from the label maps of `mask_dir` (tools/run_pipeline.py points it to
# its WORK_DIR/pseudo_masks and starts the backbone from the CAM network); val is the
# ground truth. Categorical clustering needs no file made beforehand; co-occurrence
# mixing (segmix_cm_synthvoc.py) would need the matrix of the pseudo masks, which exist
# only once the pipeline's refinement stage has run.
#   python tools/train.py configs/quickstart/segmix_cc_pseudo_synthvoc.py --data-root data/synthvoc
_base_ = ['./segmix_cc_synthvoc.py']
train_dataloader = dict(
    dataset=dict(
        dataset=dict(
            _delete_=True,
            type='PseudoMaskDataset',
            data_root={{_base_.data_root}},
            ann_file='ImageSets/Segmentation/train.txt',
            mask_dir='pseudo_masks',
            pipeline=_base_.train_pipeline[:-1],  # loaded and cropped, not packed
        )
    )
)
