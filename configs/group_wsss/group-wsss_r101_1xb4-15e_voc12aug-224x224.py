# Group-WSSS (seed 004) on ResNet-101, the backbone of the paper's best VOC results (Table 1)
# and of its diagnostics (Table 3), for which no code was released: the VGG16 config's recipe
# (group-wsss_vgg16_1xb4-15e_voc12aug-224x224.py) with the ResNet-101 CAM network
# (_base_/models/group_wsss_r101.py).
_base_ = [
    '../_base_/models/group_wsss_r101.py',
    '../_base_/datasets/voc_cls.py',
    '../_base_/schedules/sgd_step_15e.py',
    '../_base_/default_runtime.py',
]
crop_size = (224, 224)
model = dict(data_preprocessor=dict(size=crop_size))
# as the VGG16 config: the code's 256x256 resize and colour jitter, the paper's 224 crops
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='PackCAMInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='PackCAMInputs'),
]
# batches of whole groups: the batch size is a multiple of group_size
train_dataloader = dict(
    batch_size=4,
    sampler=dict(type='GroupSampler', group_size={{_base_.group_size}}, shuffle=True),
    dataset=dict(pipeline=train_pipeline),
)
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
optim_wrapper = dict(paramwise_cfg=dict(new_layers=('neck', 'gnn', 'head', 'aux_head')))
