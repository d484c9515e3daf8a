# Group-WSSS's (seed 004) classification data on VOC: voc_cls.py with the code's input
# (Lixy1997/Group-WSSS, utils/LoadData.py: every image squashed to 256x256, colour jitter)
# and the paper's 224x224 crops and flips, in batches of whole groups of images
# (GroupSampler, each image an anchor once per epoch; method configs set its group_size to
# the model's K and the batch size to a multiple of it).
_base_ = ['./voc_cls.py']
crop_size = (224, 224)
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=(256, 256), keep_ratio=False),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='PackCAMInputs'),
]
test_pipeline = [
    dict(type='LoadImage'),
    dict(type='Resize', scale=crop_size, keep_ratio=True),
    dict(type='PackCAMInputs'),
]
train_dataloader = dict(
    batch_size=4,
    sampler=dict(type='GroupSampler', shuffle=True),
    dataset=dict(pipeline=train_pipeline),
)
test_dataloader = dict(dataset=dict(pipeline=test_pipeline))
