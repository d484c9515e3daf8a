"""Small I/O helpers: atomic writes, a cheap check that a written file is whole,
and image / mask reading with clear errors."""

import io
import os
import os.path as osp
import secrets
import zipfile
from contextlib import contextmanager
from typing import Iterator, Optional

import cv2
import numpy as np
from mmengine import fileio
from PIL import Image, UnidentifiedImageError


class ImageReadError(IOError):
    """An image or mask file is missing, unreadable or corrupt."""

    def __init__(self, path: str, reason: str):
        super().__init__(f'cannot read {path}: {reason}')
        self.path = path


#: the first 8 bytes of every PNG file
PNG_SIGNATURE = b'\x89PNG\r\n\x1a\n'
#: the last 12 bytes of every whole PNG file: the empty IEND chunk and its CRC
PNG_END = b'\x00\x00\x00\x00IEND\xaeB`\x82'


def _new_temporary_file(folder: str, name: str, suffix: str) -> str:
    """Creates an empty ``<folder>/.<name>.<random>.tmp<suffix>`` that no one
    else holds. It is made with mode 0o666 less the umask, as ``open`` makes
    files (``tempfile.mkstemp`` would give 0o600, and the renamed file would
    stay private)."""
    while True:
        tmp = osp.join(folder, f'.{name}.{secrets.token_hex(4)}.tmp{suffix}')
        try:
            os.close(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666))
            return tmp
        except FileExistsError:
            continue


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yields a temporary path beside ``path``; renames it to ``path`` on success.

    A killed process leaves at most a ``.tmp`` file, never a half-written
    target. The file gets the mode that the user's umask gives new files
    (``0o666 & ~umask``, e.g. ``-rw-r--r--`` under umask 022).
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    tmp = _new_temporary_file(folder, osp.basename(path), osp.splitext(path)[1])
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


def file_defect(path: str) -> Optional[str]:
    """A cheap check that a written file is whole, without reading its data.

    - ``.npz``: the zip directory (at the end of the file) reads, and every
      member is an ``.npy`` array whose header parses and whose size agrees
      with the header's shape and dtype.
    - ``.png``: the PNG signature, an ``IHDR`` first chunk and the ``IEND``
      chunk at the end.
    - any other file: not empty.

    Args:
        path (str): the file.

    Returns:
        str | None: None when the file looks whole, else what is wrong.
    """
    if not osp.isfile(path):
        return 'no such file'
    if osp.getsize(path) == 0:
        return 'the file is empty'
    if path.endswith('.npz'):
        return _npz_defect(path)
    if path.endswith('.png'):
        with open(path, 'rb') as f:
            head = f.read(16)
            f.seek(max(osp.getsize(path) - len(PNG_END), 0))
            tail = f.read()
        if head[:8] != PNG_SIGNATURE or head[12:16] != b'IHDR':
            return 'not a PNG file'
        if tail != PNG_END:
            return 'the PNG file is cut short (no IEND chunk at its end)'
    return None


def _npz_defect(path: str) -> Optional[str]:
    """:func:`file_defect` of an ``.npz`` archive."""
    try:
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                with archive.open(info) as member:
                    version = np.lib.format.read_magic(member)
                    if version == (1, 0):
                        shape, _, dtype = np.lib.format.read_array_header_1_0(member)
                    else:
                        shape, _, dtype = np.lib.format.read_array_header_2_0(member)
                    header = member.tell()
                if not dtype.hasobject:
                    expected = header + int(np.prod(shape)) * dtype.itemsize
                    if info.file_size != expected:
                        return (
                            f'{info.filename} holds {info.file_size} bytes, '
                            f'its header says {expected}'
                        )
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as e:
        return f'not a whole .npz archive ({type(e).__name__}: {e})'
    return None


def read_bytes(path: str, backend_args: Optional[dict] = None) -> bytes:
    """The bytes of a file through ``mmengine.fileio`` (local or any backend).

    Raises:
        ImageReadError: the file is missing or empty.
    """
    if not fileio.exists(path, backend_args=backend_args):
        raise ImageReadError(path, 'no such file')
    data = fileio.get(path, backend_args=backend_args)
    if len(data) == 0:
        raise ImageReadError(path, 'the file is empty')
    return data


def read_image(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Reads a colour image.

    Args:
        path (str): the file.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.

    Returns:
        np.ndarray: (H, W, 3) uint8, BGR (the OpenMMLab convention).

    Raises:
        ImageReadError: the file is missing, empty or cannot be decoded.
    """
    data = np.frombuffer(read_bytes(path, backend_args), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR)
    if img is None:
        raise ImageReadError(path, 'not a decodable image (corrupt or unknown format)')
    return img


def read_mask(path: str, backend_args: Optional[dict] = None) -> np.ndarray:
    """Reads a label mask (VOC palette PNG or grey PNG) as class indices.

    Args:
        path (str): the file.
        backend_args (dict, optional): ``mmengine.fileio`` backend arguments.

    Returns:
        np.ndarray: (H, W) uint8 class ids (255 = ignore).

    Raises:
        ImageReadError: the file is missing or cannot be decoded as a
            single-channel / palette image.
    """
    data = read_bytes(path, backend_args)
    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.mode not in ('P', 'L', 'I', 'I;16'):
                raise ImageReadError(path, f'expected a palette or grey mask, got mode {img.mode}')
            mask = np.asarray(img)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        if isinstance(e, ImageReadError):
            raise
        raise ImageReadError(path, f'not a decodable mask ({e})') from e
    if mask.max(initial=0) > 255:
        raise ImageReadError(path, f'mask values up to {mask.max()} exceed 255')
    return mask.astype(np.uint8)


def read_split(path: str, backend_args: Optional[dict] = None) -> list:
    """Reads a split file: one image id per line (blank lines ignored).

    Lines are read with :func:`mmengine.fileio.list_from_file`; only the first
    whitespace-separated field of each line is kept.

    Raises:
        FileNotFoundError: naming the split file.
        ValueError: the file lists no image.
    """
    if not fileio.isfile(path, backend_args=backend_args):
        raise FileNotFoundError(f'split file not found: {path}')
    lines = fileio.list_from_file(path, backend_args=backend_args)
    ids = [line.split()[0] for line in lines if line.strip()]
    if not ids:
        raise ValueError(f'split file {path} lists no image id')
    return ids
