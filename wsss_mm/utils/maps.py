"""Operations on stacks of score maps shared by the models, the CAM methods and
the evaluation."""

import torch


def max_normalize(maps: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """Divides each map by its spatial maximum plus ``eps``.

    The maximum is taken over the last two dims, separately for every map;
    ``eps`` keeps an all-zero map at zero.

    Args:
        maps (Tensor): (..., h, w) >= 0.
        eps (float): added to each maximum. Default: 1e-5.

    Returns:
        Tensor: (..., h, w) in [0, 1).
    """
    peak = maps.flatten(-2).max(dim=-1).values[..., None, None]
    return maps / (peak + eps)


def minmax_normalize(maps: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """``ReLU(Y - min Y - eps) / (max Y - min Y + eps)`` for each map ``Y``, the
    form of ``Ferenas/CPN``'s ``max_norm`` (``tool/visualization.py``) and of
    its inference (``infer_cam.py``): values within ``eps`` of the minimum
    become 0.

    Args:
        maps (Tensor): (..., h, w).
        eps (float): Default: 1e-5.

    Returns:
        Tensor: (..., h, w) in [0, 1); a constant map becomes 0.
    """
    flat = maps.flatten(-2)
    low = flat.min(dim=-1).values[..., None, None]
    high = flat.max(dim=-1).values[..., None, None]
    return torch.relu(maps - low - eps) / (high - low + eps)
