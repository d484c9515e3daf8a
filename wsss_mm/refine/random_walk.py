"""Random walk of class scores on the affinity graph (PSA, Ahn & Kwak 2018; IRN).

The transition matrix is the affinity matrix raised element-wise to the power
β and normalised so that each column sums to 1; it is applied ``2^exp_times``
times by repeated squaring. A row vector of scores x becomes ``x T``: each
position takes the affinity-weighted mean of its neighbours' scores, so a
constant map (e.g. a threshold background) is left unchanged. Dense (N, N)
matrices, N = h * w positions of the affinity feature map.
"""

import torch
import torch.nn.functional as F

from wsss_mm.models.utils.affinity import dense_affinity

from .pseudo_labels import add_background


def transition_matrix(aff: torch.Tensor, beta: float, exp_times: int) -> torch.Tensor:
    """``T^(2^exp_times)`` with ``T = aff^β`` normalised per column.

    Args:
        aff (Tensor): (B, N, N) affinities in [0, 1], every column with a
            positive entry (e.g. 1 on the diagonal).
        beta (float): sharpening power β (PSA 8, IRN / AdvCAM 10).
        exp_times (int): the number of squarings (PSA / IRN 8).

    Returns:
        Tensor: (B, N, N), every column sums to 1.
    """
    trans = aff.pow(beta)
    trans = trans / trans.sum(dim=1, keepdim=True)
    for _ in range(exp_times):
        trans = trans @ trans
    return trans


def random_walk(scores: torch.Tensor, trans: torch.Tensor) -> torch.Tensor:
    """Propagates score maps with a transition matrix.

    Args:
        scores (Tensor): (B, K, h, w).
        trans (Tensor): (B, N, N) with N = h * w, columns summing to 1.

    Returns:
        Tensor: (B, K, h, w), ``scores.view(B, K, N) @ trans``.
    """
    batch, channels, height, width = scores.shape
    if trans.shape[-1] != height * width:
        raise ValueError(
            f'a ({trans.shape[-2]}, {trans.shape[-1]}) transition matrix '
            f'cannot walk {height}x{width} score maps'
        )
    return (scores.reshape(batch, channels, -1) @ trans).view_as(scores)


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
    everything is average-pooled to the feature-map size, walked, and
    upsampled back. With ``normalize`` the walked class channels are divided
    by their joint maximum (IRN) before they meet the background.

    Args:
        cams (Tensor): (n, H, W) CAMs in [0, 1] of the present classes.
        feats (Tensor): (D, h, w) affinity features of the image.
        radius (int): affinity radius, in feature-map positions.
        beta (float): see :func:`transition_matrix`.
        exp_times (int): see :func:`transition_matrix`.
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
    trans = transition_matrix(dense_affinity(feats[None].float(), radius), beta, exp_times)
    walked = F.interpolate(
        random_walk(small[None], trans), size=size, mode='bilinear', align_corners=False
    )[0]
    if normalize and walked.shape[0] > 1:
        fg = walked[1:] / walked[1:].max().clamp(min=1e-5)
        walked = torch.cat([walked[:1], fg])
    return walked
