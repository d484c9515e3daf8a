# deeplab_synthvoc.py on the synthetic COCO-layout set: 81 labels (80 classes +
# background); trained on the pseudo masks of train2014's images, tested on the ground
# truth of val2014 (COCOSegDataset's defaults), multi-scale + flip.
_base_ = ['./deeplab_synthvoc.py']
data_root = 'data/synthcoco'
model = dict(decode_head=dict(num_classes=81))
train_dataloader = dict(
    dataset=dict(
        type='COCOSegDataset', data_root=data_root, ann_file='train.txt', img_dir='train2014'
    )
)
val_dataloader = dict(
    dataset=dict(
        _delete_=True,
        type='COCOSegDataset',
        data_root=data_root,
        pipeline={{_base_.test_pipeline}},
    )
)
test_dataloader = val_dataloader
