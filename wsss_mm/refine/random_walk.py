"""Random walk of class scores on the affinity graph (PSA, Ahn & Kwak 2018; IRN).

The transition matrix T is the affinity matrix raised element-wise to the power
β and normalised so that each column sums to 1. A row vector of scores x
becomes ``x T``: each position takes the affinity-weighted mean of its
neighbours' scores, so a constant map (e.g. a threshold background) is left
unchanged. The walk applies T ``2^exp_times`` times (PSA / IRN square a dense
T ``exp_times`` times: the same product).

IRN's radius-limited sparse form: only pairs closer than the affinity radius
are non-zero, so T is kept as a sparse (N, N) matrix (N = h * w positions of
the affinity feature map) with about ``(2P + 1) N`` entries (P half-plane
offsets, 34 at radius 5), and the (K, N) score rows are multiplied by it one
step at a time. No dense (N, N) matrix is built: at a 512x512 input (affinity
map 128x128, N = 16384) the walk needs tens of MB where a dense float32 T
takes 1 GiB and each squaring 2 N³ operations.
"""

import warnings

import torch
import torch.nn.functional as F

from wsss_mm.models.utils.affinity import neighbour_affinity, pair_offsets, valid_pairs

from .pseudo_labels import add_background


def sparse_affinity(feats: torch.Tensor, radius: int) -> torch.Tensor:
    """The affinity matrix of a feature map, sparse: symmetric, 1 on the
    diagonal, only pairs closer than ``radius`` stored.

    Args:
        feats (Tensor): (D, h, w) affinity features.
        radius (int): as :func:`~wsss_mm.models.utils.affinity.pair_offsets`.

    Returns:
        Tensor: sparse COO (N, N), N = h * w (row-major positions), coalesced.
    """
    _, height, width = feats.shape
    n = height * width
    device = feats.device
    aff = neighbour_affinity(feats[None], radius)[0]  # (P, h, w)
    valid = valid_pairs(height, width, radius, device)
    index = torch.arange(n, device=device).view(height, width)
    offsets = torch.tensor(pair_offsets(radius), device=device)
    src = index.expand(len(offsets), height, width)[valid]
    dst = (index + offsets[:, 0, None, None] * width + offsets[:, 1, None, None])[valid]
    values = aff[valid]
    diag = torch.arange(n, device=device)
    indices = torch.stack([torch.cat([src, dst, diag]), torch.cat([dst, src, diag])])
    values = torch.cat([values, values, torch.ones(n, dtype=values.dtype, device=device)])
    return torch.sparse_coo_tensor(indices, values, (n, n), check_invariants=False).coalesce()


def transition_matrix(aff: torch.Tensor, beta: float) -> torch.Tensor:
    """``T = aff^β`` normalised per column (one step of the walk).

    Args:
        aff (Tensor): (N, N) affinities in [0, 1], sparse (see
            :func:`sparse_affinity`) or dense, every column with a positive
            entry (e.g. 1 on the diagonal).
        beta (float): sharpening power β (PSA 8, IRN / AdvCAM 10).

    Returns:
        Tensor: sparse COO (N, N), coalesced, every column sums to 1.
    """
    aff = (aff if aff.is_sparse else aff.to_sparse()).coalesce()
    indices, values = aff.indices(), aff.values().pow(beta)
    col_sums = torch.zeros(aff.shape[1], dtype=values.dtype, device=values.device)
    col_sums.index_add_(0, indices[1], values)
    values = values / col_sums[indices[1]]
    return torch.sparse_coo_tensor(indices, values, aff.shape, check_invariants=False).coalesce()


def random_walk(scores: torch.Tensor, trans: torch.Tensor, exp_times: int) -> torch.Tensor:
    """Propagates score maps: ``x <- x T``, ``2^exp_times`` times.

    The rows are kept as (N, K) columns and multiplied by the sparse ``T^T``
    (CSR), so memory is that of T's non-zero entries and a few (N, K) maps.

    Args:
        scores (Tensor): (K, h, w).
        trans (Tensor): (N, N) with N = h * w, columns summing to 1, sparse
            (:func:`transition_matrix`) or dense.
        exp_times (int): log2 of the number of steps (PSA / IRN 8).

    Returns:
        Tensor: (K, h, w), ``scores.view(K, N) @ T^(2^exp_times)``.
    """
    channels, height, width = scores.shape
    if trans.shape[-1] != height * width:
        raise ValueError(
            f'a ({trans.shape[-2]}, {trans.shape[-1]}) transition matrix '
            f'cannot walk {height}x{width} score maps'
        )
    trans_t = trans.t()
    trans_t = trans_t.coalesce() if trans_t.is_sparse else trans_t.to_sparse()
    with warnings.catch_warnings():  # "sparse CSR support is in beta state"
        warnings.simplefilter('ignore', UserWarning)
        trans_t = trans_t.to_sparse_csr()
    x = scores.reshape(channels, -1).t().to(trans_t.dtype).contiguous()  # (N, K)
    for _ in range(2**exp_times):
        x = trans_t @ x
    return x.t().reshape(channels, height, width).to(scores.dtype)


def walk_cams(
    cams: torch.Tensor,
    feats: torch.Tensor,
    radius: int = 5,
    beta: float = 10.0,
    exp_times: int = 8,
    bg_mode: str = 'threshold',
    bg_value: float = 0.25,
    normalize: bool = True,
    cam_power: float = 1.0,
) -> torch.Tensor:
    """The class scores of one image after the random walk.

    The CAMs are raised to ``cam_power`` (AdvCAM's ``make_sem_seg_labels.py``
    walks ``cam ** 1.5``: it damps the low values that its summed maps spread),
    the background channel (see :func:`add_background`) is added,
    everything is average-pooled to the feature-map size, walked with the
    sparse transition (:func:`random_walk`), and upsampled back. With
    ``normalize`` the walked class channels are divided by their joint maximum
    (IRN) before they meet the background.

    Args:
        cams (Tensor): (n, H, W) CAMs in [0, 1] of the present classes.
        feats (Tensor): (D, h, w) affinity features of the image.
        radius (int): affinity radius, in feature-map positions.
        beta (float): see :func:`transition_matrix`.
        exp_times (int): see :func:`random_walk`.
        bg_mode (str): ``'threshold'`` (IRN: a constant, unchanged by the walk)
            or ``'power'`` (PSA: ``(1 - max cam)^value``, walked with the CAMs).
        bg_value (float): the threshold or the power.
        normalize (bool): divide the walked class scores by their maximum.
        cam_power (float): power of the CAMs before the walk. Default: 1.

    Returns:
        Tensor: (n + 1, H, W) scores, background first.
    """
    size = tuple(cams.shape[-2:])
    scores = add_background(cams.float().pow(cam_power), bg_mode, bg_value)
    small = F.adaptive_avg_pool2d(scores, feats.shape[-2:])
    trans = transition_matrix(sparse_affinity(feats.float(), radius), beta)
    walked = F.interpolate(
        random_walk(small, trans, exp_times)[None], size=size, mode='bilinear', align_corners=False
    )[0]
    if normalize and walked.shape[0] > 1:
        fg = walked[1:] / walked[1:].max().clamp(min=1e-5)
        walked = torch.cat([walked[:1], fg])
    return walked
