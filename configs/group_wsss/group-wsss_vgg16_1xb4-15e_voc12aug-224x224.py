# Group-WSSS (seed 004, the paper's main setting; Lixy1997/Group-WSSS): the dilated VGG16 CAM
# network whose features pass a graph over groups of K = 4 images sharing classes
# (GroupSampler: each image an anchor once per epoch, its partners the images sharing the
# most classes), VOC train_aug, 224x224 input, batch 4 (one group per step, as the code),
# SGD Nesterov lr 1e-3 (new layers x10, biases x2), wd 5e-4, x0.1 at epochs 5 and 10,
# 15 epochs. The authors' code's whole recipe:
# group-wsss-authors_vgg16_1xb3-15e_voc12aug-256x256.py.
_base_ = [
    '../_base_/models/group_wsss_vgg16.py',
    '../_base_/datasets/voc_cls_group.py',
    '../_base_/schedules/sgd_step_15e.py',
    '../_base_/default_runtime.py',
]
model = dict(data_preprocessor=dict(size={{_base_.crop_size}}))
train_dataloader = dict(sampler=dict(group_size={{_base_.group_size}}))
optim_wrapper = dict(paramwise_cfg=dict(new_layers=('neck', 'gnn', 'head', 'aux_head')))
