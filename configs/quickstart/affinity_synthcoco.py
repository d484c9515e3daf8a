# affinity_synthvoc.py (AffinityNet + random walk settings) on the synthetic COCO-layout
# set: its training images are train2014's, with the affinity labels as label maps.
_base_ = ['./affinity_synthvoc.py']
data_root = 'data/synthcoco'
train_dataloader = dict(
    dataset=dict(
        type='COCOSegDataset', data_root=data_root, ann_file='train.txt', img_dir='train2014'
    )
)
