"""The random walk: a hand-made affinity matrix, CAMs walked over feature regions."""

import pytest
import torch

from wsss_mm.refine import random_walk, transition_matrix, walk_cams


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
