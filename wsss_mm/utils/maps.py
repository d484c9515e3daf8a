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
