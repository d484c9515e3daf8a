"""The CAM file: one ``<image_id>.npz`` per image (docs/design.md, "CAM files").

Schema: an uncompressed ``np.savez`` archive of exactly two arrays::

    keys  int64 (n,)          foreground class ids in the dataset's label space (1..C)
    cam   float32 (n, H, W)   at the image's original size, each map in [0, 1]

It is read with ``np.load(path, allow_pickle=False)``: reading a CAM file
runs no code from it, and an archive holding an object (pickled) array is
refused. A file that is not a zip archive at all (a text file, a copy cut
short) is refused as not a valid ``.npz`` archive.

Until 2026-12-01 a CAM file was ``<image_id>.npy``, a pickled dict
``{'keys': .., 'cam': ..}`` (IRN's and Puzzle-CAM's format). Such legacy
files are read only with an explicit ``allow_pickle=True`` (the tools'
``--allow-pickle``): unpickling can run code from the file, so use it only
on files you made. :func:`convert_legacy_cam_dir` rewrites them as ``.npz``.
"""

import glob
import os.path as osp
import zipfile
from typing import Dict, Iterable, List

import numpy as np

from wsss_mm.utils.io import atomic_path

#: The suffix of a CAM file.
CAM_SUFFIX = '.npz'
#: The suffix of a legacy (pickled dict) CAM file.
LEGACY_SUFFIX = '.npy'
#: The two arrays of a CAM file.
CAM_ARRAYS = ('keys', 'cam')
#: The first bytes of an ``.npy`` file.
NPY_MAGIC = b'\x93NUMPY'
#: The first bytes of a zip archive (an ``.npz``).
ZIP_MAGIC = b'PK\x03\x04'


class PickledCAMFileError(ValueError):
    """A legacy pickled ``.npy`` CAM file met without ``allow_pickle=True``."""

    def __init__(self, path: str, more: int = 0) -> None:
        others = f' (and {more} more)' if more else ''
        super().__init__(
            f'{path}{others} is a legacy pickled CAM file (an IRN-style .npy dict): reading '
            'it needs unpickling, which can run code from the file. Pass --allow-pickle '
            '(allow_pickle=True in Python) only for files you made, or convert them once to '
            '.npz with wsss_mm.cams.cam_file.convert_legacy_cam_dir(DIR, allow_pickle=True)'
        )
        self.path = path


def cam_path(cam_dir: str, img_id: str) -> str:
    """``<cam_dir>/<img_id>.npz``: where a CAM file is written."""
    return osp.join(cam_dir, img_id + CAM_SUFFIX)


def legacy_cam_path(cam_dir: str, img_id: str) -> str:
    """``<cam_dir>/<img_id>.npy``: a legacy (pickled dict) CAM file."""
    return osp.join(cam_dir, img_id + LEGACY_SUFFIX)


def find_cam_file(cam_dir: str, img_id: str, allow_pickle: bool = False) -> str:
    """The CAM file of one image: ``<img_id>.npz``, else with ``allow_pickle``
    a legacy ``<img_id>.npy``.

    Args:
        cam_dir (str): folder of CAM files.
        img_id (str): the image.
        allow_pickle (bool): accept a legacy pickled ``.npy`` file.

    Returns:
        str: the path of the file to read with :func:`load_cam_file`.

    Raises:
        PickledCAMFileError: only a legacy ``.npy`` file is there and
            ``allow_pickle`` is false (the message names it and the flag).
        FileNotFoundError: neither file is there.
    """
    path = cam_path(cam_dir, img_id)
    if osp.isfile(path):
        return path
    legacy = legacy_cam_path(cam_dir, img_id)
    if osp.isfile(legacy):
        if allow_pickle:
            return legacy
        raise PickledCAMFileError(legacy)
    raise FileNotFoundError(f'CAM file not found: {path}')


def save_cam_file(path: str, keys: np.ndarray, cam: np.ndarray) -> None:
    """Writes a CAM file atomically (temporary file + rename).

    Args:
        path (str): target ``.npz`` path (normally :func:`cam_path`).
        keys (np.ndarray): (n,) class ids 1..C.
        cam (np.ndarray): (n, H, W) maps in [0, 1].

    Raises:
        ValueError: the shapes disagree, or ``path`` does not end in ``.npz``.
    """
    if not path.endswith(CAM_SUFFIX):
        raise ValueError(f'{path}: a CAM file is written as {CAM_SUFFIX}')
    keys = np.asarray(keys, dtype=np.int64)
    cam = np.asarray(cam, dtype=np.float32)
    if keys.ndim != 1 or cam.ndim != 3 or cam.shape[0] != keys.shape[0]:
        raise ValueError(
            f'{path}: cam must be (n, H, W) with n = len(keys) = {len(keys)}, got {cam.shape}'
        )
    with atomic_path(path) as tmp:
        # through a file handle: np.savez would append .npz to the temporary name
        with open(tmp, 'wb') as f:
            np.savez(f, keys=keys, cam=cam)


def _load_npz(path: str) -> Dict[str, np.ndarray]:
    """The two arrays of a ``.npz`` CAM file, read without unpickling."""
    invalid = f'{path} is not a valid CAM file ({CAM_SUFFIX} of int64 keys and float32 cam)'
    with open(path, 'rb') as f:
        head = f.read(len(NPY_MAGIC))
    # np.load calls every file that is neither a zip nor an .npy a pickle
    if head == NPY_MAGIC:
        raise ValueError(f'{invalid}: not a valid {CAM_SUFFIX} archive: it is a single .npy array')
    if not head.startswith(ZIP_MAGIC) or not zipfile.is_zipfile(path):
        raise ValueError(
            f'{invalid}: not a valid {CAM_SUFFIX} archive: not a zip file '
            '(e.g. a text file, or a copy cut short)'
        )
    try:
        with np.load(path, allow_pickle=False) as archive:
            names = sorted(archive.files)
            if names != sorted(CAM_ARRAYS):
                raise ValueError(
                    f'it holds the arrays {names}, expected exactly {list(CAM_ARRAYS)}'
                )
            arrays = {name: archive[name] for name in CAM_ARRAYS}
        for name, value in arrays.items():
            if not isinstance(value, np.ndarray):
                raise ValueError(f'its member "{name}" is not an .npy array')
        return arrays
    except ValueError as e:
        if 'allow_pickle' in str(e):  # numpy's refusal of an object array / pickle
            raise ValueError(
                f'{invalid}: it holds pickled data (e.g. an object array), '
                'refused: unpickling can run code from the file'
            ) from e
        raise ValueError(f'{invalid}: {e}') from e
    except Exception as e:  # noqa: BLE001  (a corrupt archive: BadZipFile, EOFError, ...)
        raise ValueError(f'{invalid}: {type(e).__name__}: {e}') from e


def _load_legacy(path: str) -> Dict[str, np.ndarray]:
    """The dict of a legacy pickled ``.npy`` CAM file (runs the unpickler)."""
    try:
        data = np.load(path, allow_pickle=True).item()
    except Exception as e:  # noqa: BLE001  (any unpickling failure)
        raise ValueError(f'{path} is not a legacy CAM file (np.save of a dict): {e}') from e
    if not isinstance(data, dict) or not set(CAM_ARRAYS) <= set(data):
        raise ValueError(f'{path}: expected a dict with "keys" and "cam"')
    return {name: np.asarray(data[name]) for name in CAM_ARRAYS}


def load_cam_file(path: str, allow_pickle: bool = False) -> Dict[str, np.ndarray]:
    """Reads and checks a CAM file.

    Args:
        path (str): a ``.npz`` CAM file, or with ``allow_pickle`` a legacy
            ``.npy`` dict.
        allow_pickle (bool): read a legacy pickled ``.npy`` file (unpickling
            can run code from the file: only for files you made).

    Returns:
        dict: ``keys`` int64 (n,), ``cam`` float32 (n, H, W).

    Raises:
        FileNotFoundError: naming the file.
        PickledCAMFileError: a legacy ``.npy`` file without ``allow_pickle``.
        ValueError: naming the file and what is wrong (a ``.npz`` holding a
            pickled object array included).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'CAM file not found: {path}')
    if path.endswith(LEGACY_SUFFIX):
        if not allow_pickle:
            raise PickledCAMFileError(path)
        data = _load_legacy(path)
    else:
        data = _load_npz(path)
    keys, cam = data['keys'], data['cam']
    if keys.dtype.kind not in 'iu' or keys.ndim != 1:
        raise ValueError(
            f'{path}: "keys" must be (n,) integer class ids, got {keys.dtype} {keys.shape}'
        )
    if cam.dtype.kind not in 'iuf':
        raise ValueError(f'{path}: "cam" must hold real numbers, got {cam.dtype}')
    if cam.ndim != 3 or len(keys) != cam.shape[0]:
        raise ValueError(
            f'{path}: "cam" must be (n, H, W) with n = len(keys) = {len(keys)}, got {cam.shape}'
        )
    return {'keys': keys.astype(np.int64), 'cam': cam.astype(np.float32)}


def missing_cam_files(
    cam_dir: str, img_ids: Iterable[str], allow_pickle: bool = False
) -> List[str]:
    """The image ids that have no CAM file in ``cam_dir``: no ``.npz`` (nor,
    with ``allow_pickle``, a legacy ``.npy``)."""

    def present(img_id: str) -> bool:
        return osp.isfile(cam_path(cam_dir, img_id)) or (
            allow_pickle and osp.isfile(legacy_cam_path(cam_dir, img_id))
        )

    return [i for i in img_ids if not present(i)]


def check_no_legacy_cam_files(cam_dir: str, img_ids: Iterable[str]) -> None:
    """Refuses legacy CAM files met without ``allow_pickle``.

    Args:
        cam_dir (str): folder of CAM files.
        img_ids (Iterable[str]): the images to look at.

    Raises:
        PickledCAMFileError: some image's only CAM file is a legacy ``.npy``
            (the message names the first and counts the others).
    """
    legacy = [
        legacy_cam_path(cam_dir, i)
        for i in img_ids
        if not osp.isfile(cam_path(cam_dir, i)) and osp.isfile(legacy_cam_path(cam_dir, i))
    ]
    if legacy:
        raise PickledCAMFileError(legacy[0], len(legacy) - 1)


def convert_legacy_cam_dir(cam_dir: str, allow_pickle: bool = False) -> int:
    """Rewrites the legacy ``<id>.npy`` CAM files of a folder as ``<id>.npz``.

    Images that already have a ``.npz`` are left alone; the ``.npy`` files
    are kept.

    Args:
        cam_dir (str): folder of legacy CAM files.
        allow_pickle (bool): must be true: the legacy files are unpickled,
            which can run code from them (only for files you made).

    Returns:
        int: the number of files converted.

    Raises:
        ValueError: ``allow_pickle`` is false, or a file is not a CAM file.
    """
    if not allow_pickle:
        raise ValueError(
            'convert_legacy_cam_dir unpickles the .npy files, which can run '
            'code from them: pass allow_pickle=True for files you made'
        )
    count = 0
    for legacy in sorted(glob.glob(osp.join(glob.escape(cam_dir), '*' + LEGACY_SUFFIX))):
        target = legacy[: -len(LEGACY_SUFFIX)] + CAM_SUFFIX
        if not osp.isfile(target):
            data = load_cam_file(legacy, allow_pickle=True)
            save_cam_file(target, data['keys'], data['cam'])
            count += 1
    return count
