# The synthetic COCO-layout set of `tools/make_synthetic_voc.py --layout coco` (80 classes,
# 128 x 128 images): coco2014.py's datasets with synthvoc.py's small-image pipelines.
_base_ = ['./synthvoc.py']
dataset_type = 'COCOClsDataset'
data_root = 'data/synthcoco'
num_classes = 80
train_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='train.txt', img_dir='train2014')
)
cam_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='train.txt', img_dir='train2014')
)
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='val.txt', img_dir='val2014')
)
