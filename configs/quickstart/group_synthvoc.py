# Group-WSSS (seed 004) at CPU scale: the quickstart CAM network's features are the nodes of a
# graph over groups of K = 4 images that share classes (GroupSampler: each image an anchor once
# per epoch, its partners the images sharing the most classes). GroupGNN: low-rank
# co-attention, ConvGRU over T = 3 rounds, graph dropout (training only). Loss
# 0.4 * MLSM(intermediate readout) + MLSM(graph readout); CAMs self-ensembled. From scratch
# at this budget every readout stays below the CAM network (docs/methods/group_wsss.md);
# group_synthvoc_pretrained.py is the paper's regime.
_base_ = ['./cam_synthvoc.py']
group_size = 4
model = dict(
    type='GroupWSSS',
    aux_head=dict(type='GAPClassifierHead', in_channels=128, num_classes=20),
    gnn=dict(type='GroupGNN', in_channels=128, group_size=group_size, num_rounds=3, reduction=4),
    lambda_pre=0.4,
    cam_source='ensemble',
)
# batches of whole groups: the batch size is a multiple of group_size
train_dataloader = dict(
    batch_size=16, sampler=dict(type='GroupSampler', group_size=group_size, shuffle=True)
)
# 10 epochs of anchors = 750 iterations of 16 images, cam_synthvoc.py's budget (40 epochs)
max_epochs = 10
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
# the graph and both readouts are new layers: x10, as the paper's x10 / x20 groups
optim_wrapper = dict(
    paramwise_cfg=dict(
        custom_keys={
            'head': dict(lr_mult=10.0),
            'aux_head': dict(lr_mult=10.0),
            'gnn': dict(lr_mult=10.0),
        }
    )
)
# tools/run_pipeline.py: the refinement and segmentation stages of pipeline_synthvoc.py
pipeline = dict(
    affinity_config='affinity_synthvoc.py',
    seg_config='deeplab_synthvoc.py',
    init_from_cam=True,
    affinity_options=dict(),
    seg_options=dict(),
)
