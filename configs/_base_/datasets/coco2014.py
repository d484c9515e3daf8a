# COCO 2014 in the WSSS layout (docs/data_preparation.md) with image-level labels derived
# from the semantic masks: 80 classes (CAM heads: num_classes=80; segmentation heads and
# metrics: 81 labels with background). Train on train2014 (images with a foreground class),
# infer / evaluate CAMs on train, classification quality on val2014. The same variable
# names as voc_cls.py, with its pipelines; label caches keep training from opening masks.
_base_ = ['./voc_cls.py']
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
