"""The CAM file format: schema, atomic writes, clear read errors."""
import os

import numpy as np
import pytest

from wsss_mm.cams.cam_file import load_cam_file, missing_cam_files, save_cam_file


def test_roundtrip(tmp_path):
    path = str(tmp_path / 'a.npy')
    save_cam_file(path, np.array([3, 15]), np.random.rand(2, 5, 7))
    data = load_cam_file(path)
    assert data['keys'].dtype == np.int64 and data['keys'].tolist() == [3, 15]
    assert data['cam'].dtype == np.float32 and data['cam'].shape == (2, 5, 7)
    assert missing_cam_files(str(tmp_path), ['a', 'b']) == ['b']


def test_a_write_killed_midway_leaves_nothing(tmp_path, monkeypatch):
    path = str(tmp_path / 'b.npy')

    def dying_save(f, obj):
        f.write(b'half')
        raise KeyboardInterrupt

    monkeypatch.setattr(np, 'save', dying_save)
    with pytest.raises(KeyboardInterrupt):
        save_cam_file(path, np.array([1]), np.zeros((1, 2, 2)))
    assert os.listdir(tmp_path) == []


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.npy'):
        load_cam_file(str(tmp_path / 'nope.npy'))
    bad = str(tmp_path / 'bad.npy')
    np.save(bad, np.zeros(3))
    with pytest.raises(ValueError, match='bad.npy'):
        load_cam_file(bad)
    mismatched = str(tmp_path / 'mismatch.npy')
    np.save(mismatched, {'keys': np.array([1, 2]), 'cam': np.zeros((1, 2, 2))})
    with pytest.raises(ValueError, match=r'mismatch.npy.*n = len\(keys\) = 2'):
        load_cam_file(mismatched)
    with pytest.raises(ValueError, match=r'\(n, H, W\)'):
        save_cam_file(str(tmp_path / 'x.npy'), np.array([1]), np.zeros((2, 2)))
