# cam_synthvoc.py's CAM network on the synthetic COCO-layout set
# (`tools/make_synthetic_voc.py data/synthcoco --num-train 300 --num-val 100 --layout coco`):
# 80 classes, so the head has 80 outputs and every later stage 81 labels. With its
# pipeline section, `tools/run_pipeline.py` runs CAMs -> CRF -> AffinityNet random walk ->
# pseudo masks -> DeepLab-v2 (affinity_synthcoco.py, deeplab_synthcoco.py).
_base_ = ['./cam_synthvoc.py']
dataset_type = 'COCOClsDataset'
data_root = 'data/synthcoco'
num_classes = 80
train_dataset = dict(
    type=dataset_type, data_root=data_root, ann_file='train.txt', img_dir='train2014'
)
model = dict(head=dict(num_classes=num_classes))
train_dataloader = dict(dataset=train_dataset)
cam_dataloader = dict(dataset=train_dataset)
test_dataloader = dict(
    dataset=dict(type=dataset_type, data_root=data_root, ann_file='val.txt', img_dir='val2014')
)
val_dataloader = dict(dataset=train_dataset)
pipeline = dict(
    affinity_config='affinity_synthcoco.py',
    seg_config='deeplab_synthcoco.py',
    init_from_cam=True,
    affinity_options=dict(),
    seg_options=dict(),
)
