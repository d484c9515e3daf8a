# Group-WSSS (seed 004) on ResNet-101, the backbone of the paper's best VOC results (Table 1)
# and of its diagnostics (Table 3), for which no code was released: the VGG16 config's recipe
# (group-wsss_vgg16_1xb4-15e_voc12aug-224x224.py) with the ResNet-101 CAM network
# (_base_/models/group_wsss_r101.py).
_base_ = [
    '../_base_/models/group_wsss_r101.py',
    '../_base_/datasets/voc_cls_group.py',
    '../_base_/schedules/sgd_step_15e.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
train_dataloader = dict(sampler=dict(group_size={{_base_.group_size}}))
optim_wrapper = dict(paramwise_cfg=dict(new_layers=('neck', 'gnn', 'head', 'aux_head')))
