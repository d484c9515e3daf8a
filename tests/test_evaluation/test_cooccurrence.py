"""The class co-occurrence matrix (SegMix Eq. 2) on hand-made masks, its file, and
its most frequent pairs."""

import numpy as np
import pytest

from wsss_mm.evaluation.cooccurrence import (
    class_pixel_counts,
    cooccurrence_matrix,
    load_cooccurrence,
    save_cooccurrence,
    top_pairs,
)

# 4 class ids (0 background); 255 ignore never counts
MASKS = [
    np.array([[0, 1], [2, 255]]),  # {0, 1, 2}: 1 px each
    np.array([[1, 1], [1, 0]]),  # {0, 1}: 3 px of 1
    np.array([[3, 3], [2, 255]]),  # {2, 3}: 2 px of 3
    np.array([[255, 255], [255, 255]]),  # nothing
]


def counts():
    return [class_pixel_counts(m, 4) for m in MASKS]


def test_image_cooccurrence_by_hand():
    expected = np.array(
        [
            [2, 2, 1, 0],
            [2, 2, 1, 0],
            [1, 1, 2, 1],
            [0, 0, 1, 1],
        ]
    )
    matrix = cooccurrence_matrix(counts(), 4)
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.dtype == np.int64


def test_pixel_cooccurrence_by_hand():
    # C[i, j]: pixels of class i in the images that hold class j
    expected = np.array(
        [
            [2, 2, 1, 0],
            [4, 4, 1, 0],
            [1, 1, 2, 1],
            [0, 0, 2, 2],
        ]
    )
    np.testing.assert_array_equal(cooccurrence_matrix(counts(), 4, count='pixels'), expected)


def test_bad_ids_and_count_are_named():
    with pytest.raises(ValueError, match=r'm.png holds class ids \[7\] outside 0..3'):
        class_pixel_counts(np.array([[7, 255]]), 4, 'm.png')
    with pytest.raises(ValueError, match="count must be one of .* got 'area'"):
        cooccurrence_matrix(counts(), 4, count='area')


def test_file_round_trip_and_bad_files(tmp_path):
    matrix = cooccurrence_matrix(counts(), 4)
    path = str(tmp_path / 'cooc.npy')
    save_cooccurrence(path, matrix)
    np.testing.assert_array_equal(load_cooccurrence(path, num_classes=4), matrix)
    with pytest.raises(ValueError, match='is 4x4, expected 21'):
        load_cooccurrence(path, num_classes=21)
    with pytest.raises(FileNotFoundError, match='co-occurrence file not found'):
        load_cooccurrence(str(tmp_path / 'none.npy'))
    np.save(tmp_path / 'flat.npy', np.zeros(3))
    with pytest.raises(ValueError, match=r'square non-negative numeric array, got shape \(3,\)'):
        load_cooccurrence(str(tmp_path / 'flat.npy'))
    with pytest.raises(ValueError, match='a .npy file, got'):
        save_cooccurrence(str(tmp_path / 'cooc.json'), matrix)


def test_top_pairs_leave_out_background_and_the_diagonal():
    matrix = np.array([[9, 9, 9, 9], [9, 5, 3, 1], [9, 3, 5, 2], [9, 1, 2, 5]])
    classes = ('bg', 'a', 'b', 'c')
    assert top_pairs(matrix, classes, k=2) == [('a', 'b', 3), ('b', 'c', 2)]
    assert top_pairs(np.eye(4, dtype=int), classes) == []
