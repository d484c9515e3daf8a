"""Model-side operations shared by several networks (no registered modules)."""

from .affinity import (
    dense_affinity,
    neighbour_affinity,
    pair_offsets,
    pair_targets,
    shift_neighbours,
    valid_pairs,
)
from .complementary_pair import ComplementaryPatchPair

__all__ = [
    'dense_affinity',
    'neighbour_affinity',
    'pair_offsets',
    'pair_targets',
    'shift_neighbours',
    'valid_pairs',
    'ComplementaryPatchPair',
]
