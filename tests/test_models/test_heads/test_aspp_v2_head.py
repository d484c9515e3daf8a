"""The DeepLab-v2 ASPP head: shapes, the sum of its branches, and a train step."""

import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.models.heads import ASPPV2Head
from wsss_mm.registry import MODELS


def test_head_shapes_and_branches():
    head = ASPPV2Head(in_channels=8, num_classes=5, dilations=(1, 6, 12, 18))
    assert not hasattr(head, 'conv_seg')  # the branches classify
    assert [b.dilation for b in head.branches] == [(1, 1), (6, 6), (12, 12), (18, 18)]
    x = torch.randn(2, 8, 45, 45)
    out = head([x])
    assert out.shape == (2, 5, 45, 45)
    assert torch.allclose(out, sum(b(x) for b in head.branches))
    assert sum(p.numel() for p in head.parameters()) == 4 * (8 * 5 * 9 + 5)
    with pytest.raises(ValueError, match='dilation'):
        ASPPV2Head(in_channels=8, num_classes=5, dilations=())


def test_quickstart_deeplab_trains_and_predicts(repo_root):
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'quickstart', 'deeplab_synthvoc.py'))
    model = MODELS.build(cfg.model)
    assert isinstance(model.decode_head, ASPPV2Head)
    samples = []
    for _ in range(2):
        sample = SegDataSample(
            metainfo=dict(img_shape=(64, 64), ori_shape=(64, 64), pad_shape=(64, 64))
        )
        sample.gt_sem_seg = PixelData(data=torch.randint(0, 21, (1, 64, 64)))
        samples.append(sample)
    inputs = torch.randn(2, 3, 64, 64)
    losses = model(inputs, samples, mode='loss')
    losses['decode.loss_ce'].backward()
    assert torch.isfinite(losses['decode.loss_ce'])
    assert model.decode_head.branches[0].weight.grad is not None
    model.eval()
    with torch.no_grad():
        preds = model(inputs, samples, mode='predict')
    assert preds[0].pred_sem_seg.data.shape == (1, 64, 64)
