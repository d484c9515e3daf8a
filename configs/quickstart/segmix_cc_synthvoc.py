# SegMix's quickstart Binding-CC (stage 1, Eq. 5): the binding network of
# segmix_cm_synthvoc.py trained on the offline categorical-clustering set D'
# (ClusterMixDataset, Sec. 3.1.1: each image blended with a random image of one other
# class cluster, δ ~ U[0.7, 1]); same batch, learning rate and iterations as the other
# quickstart configs. An image is in one cluster per class it holds, so an epoch of D'
# has (images x mean classes per image) samples, 1.65x the plain set on data/synthvoc with
# num_partners=1 (the paper pairs each image with every other cluster,
# num_partners=None): 39 epochs here = the 2368 iterations of 64 plain epochs.
#   python tools/train.py configs/quickstart/segmix_cc_synthvoc.py --data-root data/synthvoc
_base_ = ['./segmix_cm_synthvoc.py']
model = dict(data_preprocessor=dict(batch_augments=[]))
train_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='ClusterMixDataset',
        num_partners=1,
        delta_range=(0.7, 1.0),
        seed=0,
        dataset=dict(
            **_base_.voc_seg,
            ann_file='ImageSets/Segmentation/train.txt',
            pipeline=_base_.train_pipeline[:-1],  # loaded and cropped, not packed
        ),
        pipeline=[dict(type='PackSegMixInputs')],
    )
)
max_epochs = 39
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=max_epochs, val_interval=max_epochs)
default_hooks = dict(checkpoint=dict(interval=max_epochs))
