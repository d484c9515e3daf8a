"""The image-level label cache of a VOC-layout data root (IRN's ``cls_labels``,
as JSON instead of a pickle): built once from the masks, then read instead of
them, so that training and validation on image labels open no mask file."""

import json
import os.path as osp
from typing import Dict, List, Sequence

import numpy as np

from wsss_mm.utils.io import atomic_path


def read_label_cache(path: str, classes: Sequence[str]) -> Dict[str, List[int]]:
    """The cached labels: ``{image id: [class index 1..C, ...]}``; empty if
    the file does not exist.

    Raises:
        ValueError: the file is not a label cache of these classes.
    """
    if not osp.isfile(path):
        return {}
    try:
        with open(path) as f:
            data = json.load(f)
        cached_classes, labels = data['classes'], data['labels']
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f'label cache {path} is not a JSON object with "classes" and "labels" ({e}); '
            'delete it to rebuild it from the masks'
        ) from None
    if list(cached_classes) != list(classes):
        raise ValueError(
            f'label cache {path} was built for the classes {cached_classes}, not {list(classes)}; '
            'delete it to rebuild it from the masks'
        )
    return labels


def write_label_cache(path: str, classes: Sequence[str], labels: Dict[str, List[int]]) -> None:
    """Writes the cache atomically (sorted by image id)."""
    with atomic_path(path) as tmp, open(tmp, 'w') as f:
        json.dump(dict(classes=list(classes), labels=dict(sorted(labels.items()))), f)


def multi_hot(indices: Sequence[int], num_classes: int) -> np.ndarray:
    """Class indices 1..C -> (C,) float32 multi-hot."""
    label = np.zeros(num_classes, dtype=np.float32)
    label[np.asarray(indices, dtype=np.int64) - 1] = 1
    return label
