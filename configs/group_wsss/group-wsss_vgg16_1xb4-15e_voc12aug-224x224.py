# Group-WSSS (seed 004, the paper's main setting; Lixy1997/Group-WSSS): the dilated VGG16 CAM
# network whose features pass a graph over groups of K = 4 images sharing classes
# (GroupSampler: each image an anchor once per epoch, its partners the images sharing the
# most classes), VOC train_aug, 224x224 input, batch 4 (one group per step, as the code),
# SGD Nesterov lr 1e-3 (new layers x10, biases x2), wd 5e-4, x0.1 at epochs 5 and 10,
# 15 epochs.
_base_ = [
    '../_base_/models/group_wsss_vgg16.py',
    '../_base_/datasets/voc_cls.py',
    '../_base_/schedules/sgd_step_15e.py',
    '../_base_/default_runtime.py',
]
crop_size = (224, 224)
model = dict(data_preprocessor=dict(size=crop_size))
# the code resizes every image to 256x256 and jitters its colours; 224 crops are the paper's
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
