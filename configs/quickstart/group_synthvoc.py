# Group-WSSS (seed 004) at CPU scale: the quickstart CAM network's features are the nodes of a
# graph over groups of K = 4 images that share classes (GroupSampler: each image an anchor once
# per epoch, its partners the images sharing the most classes). GroupGNN: low-rank
# co-attention, ConvGRU over T = 3 rounds, graph dropout (training only). Loss
# 0.4 * MLSM(intermediate readout) + MLSM(graph readout); CAMs self-ensembled.
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
