"""Seed refinement: dense CRF, affinity labels, AffinityNet random walk, label maps."""

from .affinity_labels import affinity_labels
from .crf import DenseCRF, crf_available
from .pseudo_labels import (
    add_background,
    confident_labels,
    label_path,
    save_label_map,
    scores_to_labels,
    seed_labels,
)
from .random_walk import random_walk, transition_matrix, walk_cams

__all__ = [
    'affinity_labels',
    'DenseCRF',
    'crf_available',
    'add_background',
    'confident_labels',
    'label_path',
    'save_label_map',
    'scores_to_labels',
    'seed_labels',
    'random_walk',
    'transition_matrix',
    'walk_cams',
]
