# Group-WSSS (seed 004) as its authors' code runs it (Lixy1997/Group-WSSS: models/vgg_gnn.py,
# models/ConvGRU.py, train.py, utils/LoadData.py), end to end; every point below is an option
# that docs/methods/group_wsss.md's ablation toggles:
# - the graph's nodes are the 20 class maps of the 1x1 classifier (with a bias) after the
#   three extra convs; both readouts are their global average (one shared classifier);
# - K = 3 (anchor + 2), every pair joined whatever the labels; partners: random images with
#   the anchor's exact label vector; anchors in dataset order (shuffle=False);
# - co-attention of rank C/2 (projections with biases, gate without), the two neighbours'
#   messages concatenated and fused by a 3x3 conv (no self message), ConvGRU kernel 1;
# - graph dropout (h ⊙ s + h) / 2 with one draw per node, in training only here; every new
#   layer initialised N(0, 0.01) (biases 0 here; PyTorch's default in the code);
# - loss (0.4 · pre-graph + post-graph) / 2 averaged over the nodes; the schedule of
#   group-wsss_vgg16_1xb4-15e_voc12aug-224x224.py (SGD Nesterov lr 1e-3, new layers x10,
#   biases x2, x0.1 at epochs 5 and 10, 15 epochs), one group of 3 per step;
# - input: the whole image squashed to 256x256 with colour jitter, no crop, no flip;
# - the evaluated maps: written during training by GroupCAMAccumulationHook (the anchor's
#   relu((pre + post) / 2) with its partners in the graph, classes scoring >= 0.1, per-class
#   max-normalised and max-accumulated over epochs 1-14) to WORK_DIR/group_cams, CAM files
#   that tools/eval_cams.py reads (the train split's 1,464 images are among train_aug's).
_base_ = ['./group-wsss_vgg16_1xb4-15e_voc12aug-224x224.py']
group_size = 3
input_size = (256, 256)
new_layer_init = dict(type='Normal', layer='Conv2d', std=0.01)
model = dict(
    data_preprocessor=dict(size=input_size),
    head=dict(
        bias=True,
        init_cfg=new_layer_init,
        loss=dict(type='MultiLabelSoftMarginLoss', loss_weight=0.5),
    ),
    aux_head=None,
    graph_nodes='class_maps',
    gnn=dict(
        in_channels=20,
        group_size=group_size,
        reduction=2,
        aggregation='concat',
        edges='full',
        proj_bias=True,
        gate_bias=False,
        gru_kernel_size=1,
        dropout=dict(
            type='GraphDropout', drop_rate=0.8, drop_threshold=0.7, mode='authors', draw='node'
        ),
        init_cfg=new_layer_init,
    ),
)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='PackCAMInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=input_size, keep_ratio=False),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(
    batch_size=group_size,
    sampler=dict(group_size=group_size, shuffle=False, partners='identical'),
    dataset=dict(pipeline=train_pipeline),
)
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(paramwise_cfg=dict(new_layers=('neck', 'gnn', 'head')))
custom_hooks = [
    dict(type='FiniteLossHook'),
    dict(type='GroupCAMAccumulationHook', out_dir='group_cams', score_threshold=0.1, start_epoch=1),
]
