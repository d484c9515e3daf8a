# Group-WSSS's (seed 004) classification data on COCO 2014: voc_cls_group.py's group recipe
# (256x256 squash, 224 crops, flips, colour jitter, GroupSampler) on coco2014.py's data (the
# same dataset entries: 80 classes, train2014 for training and CAMs, val2014 for testing).
_base_ = ['./voc_cls_group.py']
dataset_type = 'COCOClsDataset'
data_root = 'data/coco2014'
num_classes = 80
coco_train = dict(
    type=dataset_type,
    data_root=data_root,
    ann_file='train.txt',
    img_dir='train2014',
    label_cache='cls_labels_train.json',
)
train_dataloader = dict(dataset=coco_train)
cam_dataloader = dict(dataset=coco_train)
test_dataloader = dict(
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        ann_file='val.txt',
        img_dir='val2014',
        label_cache='cls_labels_val.json',
    )
)
