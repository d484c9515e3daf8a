"""A tiny mmseg segmentor and classifier and their batches, for the attack tests."""

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS

PREPROCESSOR = dict(
    type='mmseg.SegDataPreProcessor',
    mean=[123.675, 116.28, 103.53],
    std=[58.395, 57.12, 57.375],
    bgr_to_rgb=True,
)
#: a narrow ResNet-18 at output stride 8
BACKBONE = dict(
    type='mmpretrain.ResNet',
    depth=18,
    base_channels=4,
    stem_channels=4,
    strides=(1, 2, 1, 1),
    out_indices=(3,),
)


@pytest.fixture
def tiny_segmentor():
    """An untrained mmseg EncoderDecoder (3 classes) in eval mode, seeded."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='mmseg.EncoderDecoder',
            data_preprocessor=PREPROCESSOR,
            backbone=BACKBONE,
            decode_head=dict(
                type='mmseg.FCNHead',
                in_channels=32,
                channels=8,
                num_convs=1,
                concat_input=False,
                num_classes=3,
                loss_decode=dict(type='mmseg.CrossEntropyLoss'),
            ),
            test_cfg=ConfigDict(mode='whole'),  # mmseg reads test_cfg.mode
        )
    )
    return model.eval()


@pytest.fixture
def tiny_classifier():
    """An untrained 4-class CAM network (multi-label) in eval mode, seeded."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='CAMClassifier',
            data_preprocessor=PREPROCESSOR,
            backbone=BACKBONE,
            head=dict(type='GAPClassifierHead', in_channels=32, num_classes=4),
        )
    )
    return model.eval()


@pytest.fixture
def seg_batch():
    """``seg_batch(n=2, size=32)``: a dataloader batch of ``n`` random uint8 BGR
    images with random 3-class masks (a corner ignored, 255)."""

    def make(n=2, size=32):
        generator = torch.Generator().manual_seed(1)
        inputs, samples = [], []
        for _ in range(n):
            inputs.append(torch.randint(0, 256, (3, size, size), generator=generator).byte())
            gt = torch.randint(0, 3, (1, size, size), generator=generator)
            gt[:, :4, :4] = 255
            sample = SegDataSample(gt_sem_seg=PixelData(data=gt))
            sample.set_metainfo(dict(img_shape=(size, size), ori_shape=(size, size)))
            samples.append(sample)
        return dict(inputs=inputs, data_samples=samples)

    return make


@pytest.fixture
def cls_batches():
    """``cls_batches(k=3, n=2, size=32)``: ``k`` batches of ``n`` random images
    with random multi-hot labels of 4 classes."""

    def make(k=3, n=2, size=32):
        generator = torch.Generator().manual_seed(2)
        batches = []
        for _ in range(k):
            inputs, samples = [], []
            for _ in range(n):
                inputs.append(torch.randint(0, 256, (3, size, size), generator=generator).byte())
                sample = SegDataSample()
                sample.gt_labels = (torch.rand(4, generator=generator) > 0.5).float()
                samples.append(sample)
            batches.append(dict(inputs=inputs, data_samples=samples))
        return batches

    return make
