# SegMix's Binding-CC, stage 1 (seed 000, Eq. 5; Table 7 "w/o DN", Table 8 "w/ FBH"): the
# binding network of binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py trained on the
# offline categorical-clustering set D' (Sec. 3.1.1, ClusterMixDataset: every train_aug
# image blended with one random image of each of the 19 other class clusters,
# δ ~ U[0.7, 1]); 50 epochs of D', which is about 19 x (classes per image) times
# train_aug. Tested with S_fb. Without the feature binding head (Table 8 "w/o FBH"):
#   --cfg-options model.binding_head=None model.predict_with=dominant
_base_ = ['./binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py']
model = dict(data_preprocessor=dict(batch_augments=[]))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='wsss_mm.ClusterMixDataset',
        num_partners=None,
        delta_range=(0.7, 1.0),
        seed=0,
        dataset=dict(
            type='mmseg.PascalVOCDataset',
            data_root={{_base_.data_root}},
            data_prefix=dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug'),
            ann_file='ImageSets/Segmentation/train_aug.txt',
            pipeline=_base_.train_pipeline[:-2],  # loaded, resized, cropped, flipped
        ),
        pipeline=[
            dict(type='mmseg.PhotoMetricDistortion'),
            dict(type='wsss_mm.PackSegMixInputs'),
        ],
    )
)
