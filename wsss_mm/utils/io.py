"""Small I/O helpers: atomic writes and image / mask reading with clear errors."""

import io
import os
import os.path as osp
import tempfile
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


@contextmanager
def atomic_path(path: str) -> Iterator[str]:
    """Yields a temporary path beside ``path``; renames it to ``path`` on success.

    A killed process leaves at most a ``.tmp`` file, never a half-written target.
    """
    folder = osp.dirname(osp.abspath(path))
    os.makedirs(folder, exist_ok=True)
    suffix = osp.splitext(path)[1]
    fd, tmp = tempfile.mkstemp(
        prefix='.' + osp.basename(path) + '.', suffix='.tmp' + suffix, dir=folder
    )
    os.close(fd)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        if osp.exists(tmp):
            os.remove(tmp)


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
