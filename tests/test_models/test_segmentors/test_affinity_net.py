"""AffinityNet: its pair losses train, its embedding, and the modes it refuses."""

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.registry import MODELS


def test_affinity_net_loss_trains():
    wsss_mm.register_all_modules(init_default_scope=False)
    model = MODELS.build(
        dict(
            type='AffinityNet',
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=18,
                base_channels=8,
                stem_channels=8,
                strides=(1, 2, 1, 1),
                out_indices=(1, 2),
            ),
            in_channels=(16, 32),
            channels=(8, 8),
            embed_channels=16,
            radius=3,
        )
    )
    labels = torch.zeros(2, 1, 32, 32, dtype=torch.long)
    labels[:, :, 8:24, 8:24] = 5
    labels[1, :, :4] = 255
    samples = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_sem_seg = PixelData(data=label)
        samples.append(sample)
    inputs = torch.randn(2, 3, 32, 32)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    first = None
    for _ in range(5):
        losses = model(inputs, samples, mode='loss')
        assert set(losses) == {'loss_aff_bg', 'loss_aff_fg', 'loss_aff_neg'}
        total = sum(losses.values())
        first = first if first is not None else total.item()
        optimizer.zero_grad()
        total.backward()
        optimizer.step()
    assert np.isfinite(total.item()) and total.item() < first
    assert model(inputs, mode='tensor').shape == (2, 16, 4, 4)
    with pytest.raises(ValueError, match='mode'):
        model(inputs, samples, mode='predict')
