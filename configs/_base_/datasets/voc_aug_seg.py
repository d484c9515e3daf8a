# PASCAL VOC 2012 + SBD for fully supervised segmentation: mmseg's pascal_voc12.py
# (PascalVOCDataset, its 512 crops and photometric distortion, val at (2048, 512), and
# the multi-scale + flip tta_pipeline of scales 0.5-1.75) trained on train_aug
# (ImageSets/Segmentation/train_aug.txt, SegmentationClassAug: docs/data_preparation.md)
# instead of train. The inherited dicts keep mmseg's unprefixed type names: MMEngine
# builds them in mmseg's scope.
_base_ = ['mmseg::_base_/datasets/pascal_voc12.py']
train_dataloader = dict(
    dataset=dict(
        data_prefix=dict(seg_map_path='SegmentationClassAug'),
        ann_file='ImageSets/Segmentation/train_aug.txt',
    )
)
