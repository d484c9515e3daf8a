"""max_normalize: the per-map max normalisation the CAM code used in several places."""

import torch
import torch.nn.functional as F

from wsss_mm.utils.maps import max_normalize


def test_max_normalize_is_the_old_normalisers():
    torch.manual_seed(0)
    maps = torch.randn(2, 3, 5, 7)
    maps[0, 1] = 0  # an all-zero map stays zero
    positive = maps.clamp(min=0)
    # cams/multiscale.py's and Score-CAM's: a per-map max over the last two dims
    old_multiscale = positive / (positive.flatten(-2).max(dim=-1).values[..., None, None] + 1e-5)
    # CPN's normalize_maps(mode='max'): ReLU, then a per-map max over dims 2-3
    relu = F.relu(maps)
    old_cpn = relu / (relu.flatten(2).max(dim=-1).values[..., None, None] + 1e-5)
    assert torch.equal(max_normalize(positive), old_multiscale)
    assert torch.equal(max_normalize(relu), old_cpn)
    assert (max_normalize(positive)[0, 1] == 0).all()
    masks = positive[:, 0]  # (N, H, W) as Score-CAM's masks
    assert torch.equal(max_normalize(masks), old_multiscale[:, 0])
