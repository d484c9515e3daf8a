"""wsss_mm.utils.io: written files get the umask's mode; the cheap check that a
written file is whole."""

import io
import json
import os
import stat
import zipfile

import numpy as np
import pytest

from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.refine import label_path, save_label_map
from wsss_mm.utils.io import atomic_path, file_defect


@pytest.mark.parametrize('umask, mode', [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_written_files_get_the_mode_of_the_umask(tmp_path, umask, mode):
    """Not mkstemp's private 0o600: a CAM file, a label map and a JSON record come
    out as any file the user makes (-rw-r--r-- under umask 022)."""
    folder = str(tmp_path)
    record = os.path.join(folder, 'stages', 'x.json')
    old = os.umask(umask)
    try:
        save_cam_file(cam_path(folder, 'a'), np.array([1]), np.zeros((1, 2, 2)))
        save_label_map(label_path(folder, 'a'), np.zeros((2, 2), np.uint8))
        with atomic_path(record) as tmp, open(tmp, 'w') as f:
            json.dump({}, f)
    finally:
        os.umask(old)
    for path in (cam_path(folder, 'a'), label_path(folder, 'a'), record):
        assert stat.S_IMODE(os.stat(path).st_mode) == mode, path
    assert sorted(os.listdir(folder)) == ['a.npz', 'a.png', 'stages']  # no temporary file


def test_file_defect_finds_files_that_are_not_whole(tmp_path):
    npz, png = cam_path(str(tmp_path), 'a'), label_path(str(tmp_path), 'a')
    save_cam_file(npz, np.array([1, 2]), np.zeros((2, 3, 4)))
    save_label_map(png, np.zeros((3, 4), np.uint8))
    assert file_defect(npz) is None and file_defect(png) is None
    for path, cut in [(npz, 30), (npz, 200), (png, 5)]:
        with open(path, 'rb') as f:
            data = f.read()
        broken = str(tmp_path / f'cut{cut}{os.path.splitext(path)[1]}')
        with open(broken, 'wb') as f:
            f.write(data[:-cut])
        assert file_defect(broken) is not None, (path, cut)
    text = tmp_path / 'text.npz'
    text.write_text('not an archive')
    assert 'not a whole .npz archive' in file_defect(str(text))
    member = io.BytesIO()
    np.save(member, np.zeros(3))
    with zipfile.ZipFile(tmp_path / 'short.npz', 'w') as archive:  # an array cut short
        archive.writestr('keys.npy', member.getvalue()[:-8])
    assert file_defect(str(tmp_path / 'short.npz')).startswith('keys.npy holds')
    assert file_defect(str(tmp_path / 'none.png')) == 'no such file'
    (tmp_path / 'empty.png').write_bytes(b'')
    assert file_defect(str(tmp_path / 'empty.png')) == 'the file is empty'
    (tmp_path / 'text.png').write_text('not a PNG')
    assert file_defect(str(tmp_path / 'text.png')) == 'not a PNG file'
