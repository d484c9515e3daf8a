# cpn_r38_voc.py in the form of Ferenas/CPN's code (train_cpn.py, infer_cam.py, the 'authors'
# preset; docs/methods/cpn.md), each point an option that one --cfg-options switches back:
# (1) inference: the maps of the scales 0.5 / 1 / 1.5 / 2 (voc_cls.py's cam_infer) and their
#     flips upsampled twice, summed, the sum min-max normalised (model.infer_aggregation);
# (2) the min-pooling term in the objective (model.loss_min_pool);
# (3) the losses' code form: min-max normalised maps (model.cam_norm), L_cpcr with the
#     channel-max target and the background added after the lambda weighting
#     (model.loss_cpcr.max_target, model.loss_cpcr.bg_order);
# (4) the losses on the maps upsampled to the input size (model.loss_resolution);
# (5) the CP pairs: floor(S/2) of S_N = 300 superpixel ids drawn with replacement (~39%
#     hidden), lambda from the pixels (pipeline step 5); the classifier's Dropout2d(0.5) also
#     on the CAMs of the losses (model.loss_cam_dropout);
# (6) PRCM's keys viewed as the code (model.prcm.code_key_view) and the seeds not
#     label-masked (model.seed_label_mask).
# Not reproduced: the code runs SLIC on the normalised image; ours sees the RGB image.
_base_ = ['./cpn_r38_voc.py']
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='RandomResize', scale=(768, 768), ratio_range=(448 / 768, 1.0), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='mmpretrain.ColorJitter', brightness=0.3, contrast=0.3, saturation=0.3, hue=0.1),
    dict(type='RandomCrop', crop_size={{_base_.crop_size}}),
    dict(
        type='SuperpixelComplementaryPatches',
        n_segments=300,
        compactness=10.0,
        hide_prob=0.5,
        hide_mode='draws',
        lambda_by='pixels',
    ),
    dict(type='PackCPInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
model = dict(
    prcm=dict(code_key_view=True),
    loss_cpcr=dict(bg_order='after_scaling', max_target=True),
    loss_min_pool=dict(type='AdaptiveMinPoolingLoss', ratio=0.25, loss_weight=1.0),
    cam_norm='minmax',
    loss_resolution='input',
    loss_cam_dropout=True,
    seed_label_mask=False,
    infer_aggregation='sum_minmax',
)
