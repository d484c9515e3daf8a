"""Pixel-pair affinities, the random walk, and AffinityNet's loss."""

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.models.utils.affinity import (
    dense_affinity,
    neighbour_affinity,
    pair_offsets,
    pair_targets,
)
from wsss_mm.refine import random_walk, transition_matrix, walk_cams
from wsss_mm.registry import MODELS


def test_pair_offsets_cover_each_pair_once():
    offsets = pair_offsets(5)
    assert len(offsets) == 34  # PSA's radius-5 neighbourhood
    assert len(set(offsets)) == len(offsets)
    assert all(dy > 0 or (dy == 0 and dx > 0) for dy, dx in offsets)
    assert all(dy * dy + dx * dx < 25 for dy, dx in offsets)
    with pytest.raises(ValueError, match='radius'):
        pair_offsets(1)


def test_dense_affinity_matches_brute_force():
    torch.manual_seed(0)
    feats = torch.randn(2, 6, 5, 7)
    dense = dense_affinity(feats, radius=3)
    assert dense.shape == (2, 35, 35)
    for b in range(2):
        for i in range(35):
            for j in range(35):
                (yi, xi), (yj, xj) = divmod(i, 7), divmod(j, 7)
                if i == j:
                    expected = 1.0
                elif (yi - yj) ** 2 + (xi - xj) ** 2 < 9:
                    expected = torch.exp(
                        -(feats[b, :, yi, xi] - feats[b, :, yj, xj]).abs().mean()
                    ).item()
                else:
                    expected = 0.0
                assert dense[b, i, j].item() == pytest.approx(expected, abs=1e-6)


def test_pair_targets_and_neighbours_outside_the_map():
    labels = torch.tensor([[[0, 0, 3, 255]]])  # (1, 1, 4)
    bg_pos, fg_pos, neg = pair_targets(labels, radius=2)  # offsets (0, 1), (1, 0)
    horizontal = pair_offsets(2).index((0, 1))
    assert bg_pos[0, horizontal, 0].tolist() == [True, False, False, False]
    assert neg[0, horizontal, 0].tolist() == [False, True, False, False]
    assert not fg_pos.any()  # 3-255 is ignored, the vertical neighbours are outside
    aff = neighbour_affinity(torch.zeros(1, 2, 1, 4), radius=2)
    assert aff[0, horizontal, 0].tolist() == [1, 1, 1, 0]  # the last has no right neighbour


def test_random_walk_on_a_hand_made_affinity_matrix():
    """Two cliques of three nodes, weakly linked: each class floods its own clique."""
    aff = torch.full((6, 6), 0.01)
    aff[:3, :3] = aff[3:, 3:] = 0.9
    aff.fill_diagonal_(1)
    trans = transition_matrix(aff[None], beta=2, exp_times=4)
    assert torch.allclose(trans.sum(dim=1), torch.ones(1, 6))  # columns sum to 1
    step = aff.pow(2) / aff.pow(2).sum(dim=0, keepdim=True)
    assert torch.allclose(trans[0], torch.linalg.matrix_power(step, 16), atol=1e-6)
    scores = torch.zeros(1, 2, 1, 6)
    scores[0, 0, 0, 0] = 1  # class A seeded on node 0
    scores[0, 1, 0, 5] = 1  # class B on node 5
    walked = random_walk(scores, trans)
    assert walked[0].argmax(0)[0].tolist() == [0, 0, 0, 1, 1, 1]
    constant = torch.full((1, 1, 1, 6), 0.3)
    assert torch.allclose(random_walk(constant, trans), constant)  # a threshold is kept
    with pytest.raises(ValueError, match='cannot walk'):
        random_walk(torch.zeros(1, 1, 2, 2), trans)


def test_walk_cams_expands_a_seed_over_its_region():
    """Features split the map into a left and a right region; a seed in the left
    region spreads over it and stops at the boundary."""
    feats = torch.zeros(4, 8, 8)
    feats[:, :, 4:] = 5.0
    cams = torch.zeros(1, 32, 32)
    cams[0, 12:20, 0:8] = 1.0  # the seed covers a quarter of the left half
    scores = walk_cams(cams, feats, radius=3, beta=4, exp_times=6, bg_value=0.2)
    assert scores.shape == (2, 32, 32)
    labels = scores.argmax(0)
    assert labels[:, :14].float().mean() > 0.95  # the left region is foreground
    assert labels[:, 18:].float().mean() < 0.05  # the right one stays background


def test_walk_cams_raises_the_cams_to_a_power_first():
    torch.manual_seed(0)
    feats, cams = torch.randn(4, 8, 8), torch.rand(2, 32, 32)
    powered = walk_cams(cams, feats, radius=3, beta=4, exp_times=3, cam_power=1.5)
    assert torch.allclose(
        powered, walk_cams(cams.pow(1.5), feats, radius=3, beta=4, exp_times=3), atol=1e-6
    )
    assert not torch.allclose(
        powered, walk_cams(cams, feats, radius=3, beta=4, exp_times=3), atol=1e-3
    )


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
