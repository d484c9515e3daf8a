"""Semantic affinities between pixel pairs within a radius (PSA, Ahn & Kwak 2018).

A pair (i, j) is a feature-map position i and its neighbour j = i + (dy, dx)
with ``dy² + dx² < radius²``. Each unordered pair is listed once, through the
half-plane offsets (``dy > 0``, or ``dy == 0`` and ``dx > 0``) of PSA / IRN.
The affinity of a pair is ``exp(-mean_d |f_i - f_j|)``, PSA's code form of
its ``exp(-||f_i - f_j||_1)`` (the mean differs from the norm by the constant
feature size D, which the network absorbs).

These pair tensors are shared by AffinityNet's training loss
(:func:`neighbour_affinity`, :func:`pair_targets`) and by the random walk of
:mod:`wsss_mm.refine.random_walk` (its sparse affinity matrix).
"""

from typing import Iterator, List, Optional, Tuple

import torch
import torch.nn.functional as F


def pair_offsets(radius: int) -> List[Tuple[int, int]]:
    """The P half-plane offsets (dy, dx) with ``0 < dy² + dx² < radius²``.

    Raises:
        ValueError: ``radius < 2`` (no neighbour).
    """
    if radius < 2:
        raise ValueError(f'the affinity radius must be >= 2, got {radius}')
    offsets = [(0, dx) for dx in range(1, radius)]
    offsets += [
        (dy, dx)
        for dy in range(1, radius)
        for dx in range(-radius + 1, radius)
        if dy * dy + dx * dx < radius * radius
    ]
    return offsets


def iter_neighbours(x: torch.Tensor, radius: int, fill: float) -> Iterator[torch.Tensor]:
    """For each offset p of :func:`pair_offsets`, the neighbours ``x_j`` of all
    positions i: (..., h, w) with ``out[..., y, x] = x[..., y + dy_p, x + dx_p]``
    and ``fill`` where the neighbour lies outside the map."""
    height, width = x.shape[-2:]
    r = radius - 1
    padded = F.pad(x, (r, r, 0, r), value=fill)  # dy >= 0 only
    for dy, dx in pair_offsets(radius):
        yield padded[..., dy : dy + height, r + dx : r + dx + width]


def shift_neighbours(x: torch.Tensor, radius: int, fill: float) -> torch.Tensor:
    """The neighbour j = i + offset of every position i, for every offset.

    Args:
        x (Tensor): (B, C, h, w).
        radius (int): as :func:`pair_offsets`.
        fill (float): the value of neighbours outside the map.

    Returns:
        Tensor: (B, C, P, h, w), ``out[:, :, p, y, x] = x[:, :, y + dy_p, x + dx_p]``.
    """
    return torch.stack(list(iter_neighbours(x, radius, fill)), dim=2)


def valid_pairs(
    height: int, width: int, radius: int, device: Optional[torch.device] = None
) -> torch.Tensor:
    """(P, h, w) bool: whether the neighbour of each pair lies in the map."""
    ones = torch.ones(1, 1, height, width, device=device)
    return shift_neighbours(ones, radius, 0.0)[0, 0] > 0


def neighbour_affinity(feats: torch.Tensor, radius: int) -> torch.Tensor:
    """Affinities of every position with its half-plane neighbours.

    Args:
        feats (Tensor): (B, D, h, w) affinity features.
        radius (int): pairs closer than this (in feature-map positions).

    Returns:
        Tensor: (B, P, h, w) in (0, 1]; 0 where the neighbour is outside.
    """
    # one (B, h, w) map per offset: no (B, D, P, h, w) tensor
    affs = [
        torch.exp(-(feats - neighbours).abs().mean(dim=1))
        for neighbours in iter_neighbours(feats, radius, 0.0)
    ]
    height, width = feats.shape[-2:]
    return torch.stack(affs, dim=1) * valid_pairs(height, width, radius, feats.device)


def pair_targets(
    labels: torch.Tensor, radius: int, ignore_index: int = 255
) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The three kinds of labelled pairs of PSA's affinity loss.

    Args:
        labels (Tensor): (B, h, w) int class ids at the feature-map size,
            ``ignore_index`` = ignore.
        radius (int): as :func:`pair_offsets`.
        ignore_index (int): the label of ignored pixels. Default: 255.

    Returns:
        tuple[Tensor]: ``(bg_pos, fg_pos, neg)``, each (B, P, h, w) bool:
        both background; both the same foreground class; different classes.
        Pairs with an ignored or outside pixel are in none.
    """
    src = labels[:, None]  # (B, 1, h, w)
    dst = shift_neighbours(labels[:, None].float(), radius, ignore_index)[:, 0].long()
    valid = (src != ignore_index) & (dst != ignore_index)
    same = valid & (src == dst)
    return same & (src == 0), same & (src > 0), valid & (src != dst)
