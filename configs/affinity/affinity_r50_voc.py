# AffinityNet (PSA, Ahn & Kwak 2018) on IRN's ResNet-50 for VOC 2012, with PSA's
# training recipe (batch 8, crop 448, 8 epochs, SGD lr 0.1 poly with the new layers x10
# and biases x2 without decay, wd 5e-4, colour jitter; PSA's PolyOptimizer passes the
# weight decay where SGD expects the momentum, so it trains without momentum: so do we)
# and the settings AdvCAM uses in its IRN steps: affinity labels from CRF-refined CAMs
# at fg 0.35 / bg 0.15, random walk of cam ** 1.5 with beta 10 over 2^8 steps,
# background 0.25. IRN's, Puzzle-CAM's and P-NOC's variants: affinity_r50_voc_{irn,
# puzzlecam,pnoc}.py.
_base_ = [
    '../_base_/models/affinity_r50.py',
    '../_base_/default_runtime.py',
    '../_base_/schedules/sgd_poly_5e.py',
]
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (448, 448)

# (a) affinity labels from the CAMs of train_aug (tools/make_affinity_labels.py)
affinity_labels = dict(
    fg_threshold=0.35, bg_threshold=0.15, crf=True, saliency_dir=None, saliency_threshold=0.5
)
# IRN's crf_inference_label; the spatial widths are IRN's for an image of longer side
# 500 px (VOC) and scale with the image ('image' units; 'pixels' keeps them fixed)
crf = dict(
    iterations=10,
    pos_sxy=3,
    pos_compat=3,
    bi_sxy=50,
    bi_srgb=5,
    bi_compat=10,
    unary='label',
    gt_prob=0.7,
    spatial_units='image',
    reference_size=500,
)
# (c) random walk -> pseudo masks of train_aug (tools/make_pseudo_labels.py);
# AdvCAM walks cam ** 1.5 (its make_sem_seg_labels.py), IRN the CAMs themselves
random_walk = dict(
    beta=10, exp_times=8, bg_mode='threshold', bg_value=0.25, normalize=True, cam_power=1.5
)
# pseudo_labels.crf: False, True (the crf above) or a dict updating it (Puzzle-CAM: one
# iteration of PSA's 'prob' CRF, dict(iterations=1, unary='prob'))
pseudo_labels = dict(crf=False, ignore_band=None)
# Where the thresholds come from. 'fixed': the numbers above (AdvCAM's, for VOC CAMs).
# affinity='seed': fg = fg_ratio * t and bg = bg_ratio * t from the seeds' best background
# threshold t (IRN's 0.30 / 0.05 around its 0.15); walk='sweep': the walked scores'
# background threshold swept on the train images like the seeds' (tools/run_pipeline.py).
refine_thresholds = dict(affinity='fixed', fg_ratio=2.0, bg_ratio=1 / 3, walk='fixed')
refine_workers = 8

# (b) AffinityNet training (tools/train.py) of _base_/models/affinity_r50.py: ResNet-50
# at stride 16 (IRN's strides), features of layers 2-4, embedded in 448 (PSA).
model = dict(data_preprocessor=dict(size=crop_size))
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='LoadMask'),
    dict(type='RandomResize', scale=(768, 768), ratio_range=(448 / 768, 1.0), keep_ratio=True),
    dict(type='mmseg.PhotoMetricDistortion'),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmseg.PackSegInputs'),
]
train_dataloader = dict(
    batch_size=8,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(
        type='PseudoMaskDataset',
        data_root=data_root,
        ann_file='ImageSets/Segmentation/train_aug.txt',
        mask_dir='aff_labels',
        pipeline=train_pipeline,
    ),
)
max_epochs = 8
optim_wrapper = dict(
    optimizer=dict(lr=0.1, momentum=0.0, weight_decay=5e-4),
    paramwise_cfg=dict(
        _delete_=True,
        bias_lr_mult=2.0,
        bias_decay_mult=0.0,
        custom_keys={'lateral_convs': dict(lr_mult=10.0), 'embed': dict(lr_mult=10.0)},
    ),
)
param_scheduler = [
    dict(
        type='PolyLR',
        power=0.9,
        eta_min=0.0,
        begin=0,
        end=max_epochs,
        by_epoch=True,
        convert_to_iter_based=True,
    )
]
train_cfg = dict(max_epochs=max_epochs)
