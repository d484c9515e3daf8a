"""Pixel-pair affinities: the pair offsets, the pair targets and the neighbours outside the map."""

import pytest
import torch

from wsss_mm.models.utils.affinity import (
    neighbour_affinity,
    pair_offsets,
    pair_targets,
)


def test_pair_offsets_cover_each_pair_once():
    offsets = pair_offsets(5)
    assert len(offsets) == 34  # PSA's radius-5 neighbourhood
    assert len(set(offsets)) == len(offsets)
    assert all(dy > 0 or (dy == 0 and dx > 0) for dy, dx in offsets)
    assert all(dy * dy + dx * dx < 25 for dy, dx in offsets)
    with pytest.raises(ValueError, match='radius'):
        pair_offsets(1)


def test_pair_targets_and_neighbours_outside_the_map():
    labels = torch.tensor([[[0, 0, 3, 255]]])  # (1, 1, 4)
    bg_pos, fg_pos, neg = pair_targets(labels, radius=2)  # offsets (0, 1), (1, 0)
    horizontal = pair_offsets(2).index((0, 1))
    assert bg_pos[0, horizontal, 0].tolist() == [True, False, False, False]
    assert neg[0, horizontal, 0].tolist() == [False, True, False, False]
    assert not fg_pos.any()  # 3-255 is ignored, the vertical neighbours are outside
    aff = neighbour_affinity(torch.zeros(1, 2, 1, 4), radius=2)
    assert aff[0, horizontal, 0].tolist() == [1, 1, 1, 0]  # the last has no right neighbour
