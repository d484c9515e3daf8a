# Group-WSSS (seed 004) on COCO 2014 (Table 2: train 80k images, val 40k; 80 classes) with
# VGG16: the recipe of group-wsss_vgg16_1xb4-15e_voc12aug-224x224.py (K = 4, T = 3, 224
# input, SGD Nesterov lr 1e-3 / new layers x10, x0.1 at epochs 5 and 10, 15 epochs) on the
# COCO group data of _base_/datasets/coco2014_group.py.
_base_ = [
    '../_base_/models/group_wsss_vgg16.py',
    '../_base_/datasets/coco2014_group.py',
    '../_base_/schedules/sgd_step_15e.py',
    '../_base_/default_runtime.py',
]
model = dict(
    data_preprocessor=dict(size={{_base_.crop_size}}),
    head=dict(num_classes={{_base_.num_classes}}),
    aux_head=dict(num_classes={{_base_.num_classes}}),
)
train_dataloader = dict(sampler=dict(group_size={{_base_.group_size}}))
optim_wrapper = dict(paramwise_cfg=dict(new_layers=('neck', 'gnn', 'head', 'aux_head')))
