"""Model-side operations shared by several networks (no registered modules)."""

from .affinity import (
    neighbour_affinity,
    pair_offsets,
    pair_targets,
    shift_neighbours,
    valid_pairs,
)
from .complementary_pair import ComplementaryPatchPair
from .erasing import ErasedClassSampler, erased_targets, erasing_masks
from .puzzle import merge_tiles, tile_images

__all__ = [
    'neighbour_affinity',
    'pair_offsets',
    'pair_targets',
    'shift_neighbours',
    'valid_pairs',
    'ComplementaryPatchPair',
    'ErasedClassSampler',
    'erased_targets',
    'erasing_masks',
    'merge_tiles',
    'tile_images',
]
