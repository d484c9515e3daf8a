"""The CAM file format: schema, atomic writes, clear read errors, no unpickling
unless asked for (legacy .npy dicts)."""

import os
import pickle
import zipfile

import numpy as np
import pytest

from wsss_mm.cams.cam_file import (
    PickledCAMFileError,
    cam_path,
    convert_legacy_cam_dir,
    find_cam_file,
    legacy_cam_path,
    load_cam_file,
    missing_cam_files,
    save_cam_file,
)
from wsss_mm.cams.saliency_file import load_saliency_file


def save_legacy(path, keys, cam):
    """A CAM file in the old (IRN / Puzzle-CAM) format: np.save of a dict."""
    np.save(path, {'keys': np.asarray(keys), 'cam': np.asarray(cam)})


class Boom:
    """Unpickling it would run code: ``os.system`` of a marker command."""

    def __init__(self, marker):
        self.marker = marker

    def __reduce__(self):
        return (os.system, (f'touch {self.marker}',))


def test_roundtrip(tmp_path):
    path = cam_path(str(tmp_path), 'a')
    assert path.endswith('a.npz')
    keys, cam = np.array([3, 15]), np.random.rand(2, 5, 7)
    save_cam_file(path, keys, cam)
    assert os.listdir(tmp_path) == ['a.npz']
    with zipfile.ZipFile(path) as archive:  # exactly two plain arrays
        assert sorted(archive.namelist()) == ['cam.npy', 'keys.npy']
    with np.load(path, allow_pickle=False) as raw:
        assert raw['keys'].dtype == np.int64 and raw['cam'].dtype == np.float32
    data = load_cam_file(path)
    assert data['keys'].dtype == np.int64 and data['keys'].tolist() == [3, 15]
    assert data['cam'].dtype == np.float32 and data['cam'].shape == (2, 5, 7)
    np.testing.assert_allclose(data['cam'], cam.astype(np.float32))
    assert find_cam_file(str(tmp_path), 'a') == path
    assert missing_cam_files(str(tmp_path), ['a', 'b']) == ['b']
    empty = cam_path(str(tmp_path), 'empty')
    save_cam_file(empty, np.zeros(0), np.zeros((0, 4, 4)))
    assert load_cam_file(empty)['cam'].shape == (0, 4, 4)


def test_a_write_killed_midway_leaves_nothing(tmp_path, monkeypatch):
    path = cam_path(str(tmp_path), 'b')

    def dying_save(f, **arrays):
        f.write(b'half')
        raise KeyboardInterrupt

    monkeypatch.setattr(np, 'savez', dying_save)
    with pytest.raises(KeyboardInterrupt):
        save_cam_file(path, np.array([1]), np.zeros((1, 2, 2)))
    assert os.listdir(tmp_path) == []


def test_bad_files_are_named(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.npz'):
        load_cam_file(str(tmp_path / 'nope.npz'))
    with pytest.raises(FileNotFoundError, match='nope.npz'):
        find_cam_file(str(tmp_path), 'nope', allow_pickle=True)
    bad = str(tmp_path / 'bad.npz')
    with open(bad, 'wb') as f:
        np.save(f, np.zeros(3))  # an .npy, not an archive
    with pytest.raises(ValueError, match='bad.npz is not a valid CAM file'):
        load_cam_file(bad)
    truncated = str(tmp_path / 'truncated.npz')
    save_cam_file(truncated, np.array([1]), np.zeros((1, 2, 2)))
    with open(truncated, 'r+b') as f:
        f.truncate(40)
    with pytest.raises(ValueError, match='truncated.npz is not a valid CAM file'):
        load_cam_file(truncated)
    extra = str(tmp_path / 'extra.npz')
    with open(extra, 'wb') as f:
        np.savez(f, keys=np.array([1]), cam=np.zeros((1, 2, 2)), more=np.zeros(1))
    with pytest.raises(ValueError, match=r"extra.npz.*'cam', 'keys', 'more'"):
        load_cam_file(extra)
    mismatched = str(tmp_path / 'mismatch.npz')
    with open(mismatched, 'wb') as f:
        np.savez(f, keys=np.array([1, 2]), cam=np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r'mismatch.npz.*n = len\(keys\) = 2'):
        load_cam_file(mismatched)
    float_keys = str(tmp_path / 'float_keys.npz')
    with open(float_keys, 'wb') as f:
        np.savez(f, keys=np.array([1.5]), cam=np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match='float_keys.npz: "keys" must be'):
        load_cam_file(float_keys)
    with pytest.raises(ValueError, match=r'\(n, H, W\)'):
        save_cam_file(cam_path(str(tmp_path), 'x'), np.array([1]), np.zeros((2, 2)))
    with pytest.raises(ValueError, match=r'x.npy: a CAM file is written as .npz'):
        save_cam_file(str(tmp_path / 'x.npy'), np.array([1]), np.zeros((1, 2, 2)))


def test_an_npz_holding_a_pickle_is_refused_unread(tmp_path):
    """An object array (a pickle payload) in an .npz is never unpickled, even with
    allow_pickle (that flag is for legacy .npy dicts only)."""
    marker = tmp_path / 'ran'
    path = str(tmp_path / 'evil.npz')
    with open(path, 'wb') as f:
        np.savez(f, keys=np.array([1]), cam=np.array([{'x': 1}], dtype=object))
    with pytest.raises(ValueError, match='evil.npz is not a valid CAM file.*pickled'):
        load_cam_file(path)
    with open(path, 'wb') as f:
        np.savez(f, keys=np.array([1]), cam=np.array([Boom(marker)], dtype=object))
    for allow_pickle in (False, True):
        with pytest.raises(ValueError, match='evil.npz is not a valid CAM file'):
            load_cam_file(path, allow_pickle=allow_pickle)
    raw = str(tmp_path / 'raw.npz')  # a bare pickle named .npz
    with open(raw, 'wb') as f:
        pickle.dump(Boom(marker), f)
    with pytest.raises(ValueError, match='raw.npz is not a valid CAM file'):
        load_cam_file(raw, allow_pickle=True)
    assert not marker.exists()


def test_a_file_that_is_not_an_archive_is_named_so_not_a_pickle(tmp_path):
    """A text file (or a copy cut short) named .npz is "not a valid .npz archive";
    the pickle message is kept for real object arrays (previous test)."""
    text = tmp_path / 'notes.npz'
    text.write_text('keys,cam\n1,0.5\n')
    short = str(tmp_path / 'short.npz')
    save_cam_file(short, np.array([1]), np.zeros((1, 8, 8)))
    with open(short, 'r+b') as f:
        f.truncate(200)
    for path in (str(text), short):
        for read in (load_cam_file, load_saliency_file):
            with pytest.raises(ValueError, match='not a valid .npz archive: not a zip') as info:
                read(path)
            assert 'pickle' not in str(info.value) and path in str(info.value)
    single = str(tmp_path / 'single.npz')
    with open(single, 'wb') as f:
        np.save(f, np.zeros(3))
    with pytest.raises(ValueError, match='not a valid .npz archive: it is a single .npy array'):
        load_cam_file(single)


def test_legacy_npy_needs_allow_pickle(tmp_path):
    cam_dir = str(tmp_path)
    legacy = legacy_cam_path(cam_dir, 'old')
    save_legacy(legacy, [3, 15], np.random.rand(2, 5, 7))
    for call in (lambda: load_cam_file(legacy), lambda: find_cam_file(cam_dir, 'old')):
        with pytest.raises(PickledCAMFileError, match=r'old\.npy.*--allow-pickle') as info:
            call()
        assert 'can run code' in str(info.value) and isinstance(info.value, ValueError)
    assert missing_cam_files(cam_dir, ['old']) == ['old']
    assert missing_cam_files(cam_dir, ['old'], allow_pickle=True) == []
    assert find_cam_file(cam_dir, 'old', allow_pickle=True) == legacy
    data = load_cam_file(legacy, allow_pickle=True)
    assert data['keys'].dtype == np.int64 and data['keys'].tolist() == [3, 15]
    assert data['cam'].dtype == np.float32 and data['cam'].shape == (2, 5, 7)
    # an .npz beside it is preferred
    save_cam_file(cam_path(cam_dir, 'old'), [4], np.zeros((1, 5, 7)))
    assert find_cam_file(cam_dir, 'old', allow_pickle=True) == cam_path(cam_dir, 'old')
    mismatched = legacy_cam_path(cam_dir, 'mismatch')
    save_legacy(mismatched, [1, 2], np.zeros((1, 2, 2)))
    with pytest.raises(ValueError, match=r'mismatch.npy.*n = len\(keys\) = 2'):
        load_cam_file(mismatched, allow_pickle=True)
    not_a_dict = legacy_cam_path(cam_dir, 'array')
    np.save(not_a_dict, np.zeros(3))
    with pytest.raises(ValueError, match='array.npy is not a legacy CAM file'):
        load_cam_file(not_a_dict, allow_pickle=True)


def test_convert_legacy_cam_dir(tmp_path):
    cam_dir = str(tmp_path)
    cam = np.random.rand(1, 4, 6)
    save_legacy(legacy_cam_path(cam_dir, 'a'), [7], cam)
    with pytest.raises(ValueError, match='allow_pickle=True'):
        convert_legacy_cam_dir(cam_dir)
    assert convert_legacy_cam_dir(cam_dir, allow_pickle=True) == 1
    assert convert_legacy_cam_dir(cam_dir, allow_pickle=True) == 0  # done already
    data = load_cam_file(find_cam_file(cam_dir, 'a'))
    assert data['keys'].tolist() == [7]
    np.testing.assert_allclose(data['cam'], cam.astype(np.float32))
