"""The random walk: a hand-made affinity matrix, CAMs walked over feature regions,
the sparse walk against the dense definition."""

import pytest
import torch
from torch.utils._python_dispatch import TorchDispatchMode

from wsss_mm.refine import add_background, random_walk, transition_matrix, walk_cams
from wsss_mm.refine.random_walk import sparse_affinity


def test_random_walk_on_a_hand_made_affinity_matrix():
    """Two cliques of three nodes, weakly linked: each class floods its own clique."""
    aff = torch.full((6, 6), 0.01)
    aff[:3, :3] = aff[3:, 3:] = 0.9
    aff.fill_diagonal_(1)
    trans = transition_matrix(aff, beta=2)
    assert trans.is_sparse
    assert torch.allclose(trans.to_dense().sum(dim=0), torch.ones(6))  # columns sum to 1
    step = aff.pow(2) / aff.pow(2).sum(dim=0, keepdim=True)
    assert torch.allclose(trans.to_dense(), step)
    scores = torch.zeros(2, 1, 6)
    scores[0, 0, 0] = 1  # class A seeded on node 0
    scores[1, 0, 5] = 1  # class B on node 5
    walked = random_walk(scores, trans, exp_times=4)
    expected = scores.view(2, 6) @ torch.linalg.matrix_power(step, 16)
    assert torch.allclose(walked.view(2, 6), expected, atol=1e-6)
    assert walked.argmax(0)[0].tolist() == [0, 0, 0, 1, 1, 1]
    constant = torch.full((1, 1, 6), 0.3)
    assert torch.allclose(random_walk(constant, trans, 4), constant)  # a threshold is kept
    with pytest.raises(ValueError, match='cannot walk'):
        random_walk(torch.zeros(1, 2, 2), trans, 4)


def test_sparse_affinity_matches_brute_force():
    torch.manual_seed(0)
    feats = torch.randn(6, 5, 7)
    sparse = sparse_affinity(feats, radius=3)
    assert sparse.is_sparse and sparse.dtype == torch.float32
    dense = sparse.to_dense()
    assert dense.shape == (35, 35)
    for i in range(35):
        for j in range(35):
            (yi, xi), (yj, xj) = divmod(i, 7), divmod(j, 7)
            if i == j:
                expected = 1.0
            elif (yi - yj) ** 2 + (xi - xj) ** 2 < 9:
                expected = torch.exp(-(feats[:, yi, xi] - feats[:, yj, xj]).abs().mean()).item()
            else:
                expected = 0.0
            assert dense[i, j].item() == pytest.approx(expected, abs=1e-6)


class _LargestTensor(TorchDispatchMode):
    """Records the most elements and the dtypes of any tensor an op makes."""

    def __init__(self):
        super().__init__()
        self.numel = 0
        self.float64 = False

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        out = func(*args, **(kwargs or {}))
        for t in out if isinstance(out, (tuple, list)) else [out]:
            if isinstance(t, torch.Tensor) and not t.is_sparse and t.layout == torch.strided:
                self.numel = max(self.numel, t.numel())
                self.float64 |= t.dtype == torch.float64
        return out


@pytest.mark.parametrize('bg_mode', ['threshold', 'power'])
def test_sparse_walk_equals_the_dense_definition(bg_mode):
    """walk_cams (sparse T, 2^t steps) equals T = aff^β column-normalised,
    raised to 2^t by dense matrix products, on a small map; no dense (N, N)
    tensor and no float64 tensor is made; a constant map is unchanged."""
    torch.manual_seed(0)
    h, w, radius, beta, exp_times = 9, 11, 4, 3.0, 5
    feats, cams = torch.randn(8, h, w) * 0.3, torch.rand(2, 2 * h, 2 * w)
    with _LargestTensor() as mode:
        walked = walk_cams(cams, feats, radius, beta, exp_times, bg_mode, 0.3, normalize=False)
    n = h * w
    assert mode.numel < n * n and not mode.float64

    aff = sparse_affinity(feats, radius).to_dense()
    step = aff.pow(beta) / aff.pow(beta).sum(dim=0, keepdim=True)
    power = step
    for _ in range(exp_times):
        power = power @ power
    small = torch.nn.functional.adaptive_avg_pool2d(add_background(cams, bg_mode, 0.3), (h, w))
    dense = (small.view(-1, n) @ power).view(-1, h, w)
    expected = torch.nn.functional.interpolate(
        dense[None], size=(2 * h, 2 * w), mode='bilinear', align_corners=False
    )[0]
    assert torch.allclose(walked, expected, atol=1e-5, rtol=1e-4)

    trans = transition_matrix(sparse_affinity(feats, radius), beta)
    constant = torch.full((1, h, w), 0.25)
    assert torch.allclose(random_walk(constant, trans, exp_times), constant, atol=1e-6)


def test_walk_at_irn_resolution_holds_no_dense_matrix():
    """A 512x512 input: a 128x128 affinity map, N = 16384 positions; the
    largest dense tensor is far below N² (a dense float32 T is 1 GiB)."""
    torch.manual_seed(0)
    feats, cams = torch.randn(16, 128, 128) * 0.1, torch.rand(1, 512, 512)
    with _LargestTensor() as mode:
        scores = walk_cams(cams, feats, radius=5, beta=10, exp_times=2)
    assert scores.shape == (2, 512, 512) and torch.isfinite(scores).all()
    assert mode.numel < 16384 * 200 and not mode.float64


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
