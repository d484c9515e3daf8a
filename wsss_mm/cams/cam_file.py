"""The CAM file: one ``<image_id>.npy`` per image (docs/design.md).

Schema: a dict saved with ``np.save``::

    {"keys": int64 (n,)  foreground class ids in the dataset's label space (1..C),
     "cam":  float32 (n, H, W) at the image's original size, each in [0, 1]}
"""
import os.path as osp
from typing import Dict, Iterable, List

import numpy as np

from wsss_mm.utils.io import atomic_path


def cam_path(cam_dir: str, img_id: str) -> str:
    return osp.join(cam_dir, img_id + '.npy')


def save_cam_file(path: str, keys: np.ndarray, cam: np.ndarray) -> None:
    """Writes a CAM file atomically (temporary file + rename).

    Args:
        path (str): target ``.npy`` path.
        keys (np.ndarray): (n,) class ids 1..C.
        cam (np.ndarray): (n, H, W) maps in [0, 1].
    """
    keys = np.asarray(keys, dtype=np.int64)
    cam = np.asarray(cam, dtype=np.float32)
    if cam.ndim != 3 or cam.shape[0] != keys.shape[0]:
        raise ValueError(f'{path}: cam must be (n, H, W) with n = len(keys) = '
                         f'{len(keys)}, got {cam.shape}')
    with atomic_path(path) as tmp:
        with open(tmp, 'wb') as f:
            np.save(f, {'keys': keys, 'cam': cam})


def load_cam_file(path: str) -> Dict[str, np.ndarray]:
    """Reads and checks a CAM file.

    Returns:
        dict: ``keys`` int64 (n,), ``cam`` float32 (n, H, W).

    Raises:
        FileNotFoundError / ValueError: naming the file and what is wrong.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'CAM file not found: {path}')
    try:
        data = np.load(path, allow_pickle=True).item()
    except Exception as e:  # noqa: BLE001  (any unpickling failure)
        raise ValueError(f'{path} is not a CAM file (np.save of a dict): {e}') from e
    if not isinstance(data, dict) or not {'keys', 'cam'} <= set(data):
        raise ValueError(f'{path}: expected a dict with "keys" and "cam"')
    keys, cam = np.asarray(data['keys']), np.asarray(data['cam'])
    if cam.ndim != 3 or len(keys) != cam.shape[0]:
        raise ValueError(f'{path}: "cam" must be (n, H, W) with n = len(keys) = '
                         f'{len(keys)}, got {cam.shape}')
    return {'keys': keys.astype(np.int64), 'cam': cam.astype(np.float32)}


def missing_cam_files(cam_dir: str, img_ids: Iterable[str]) -> List[str]:
    """The image ids that have no CAM file in ``cam_dir``."""
    return [i for i in img_ids if not osp.isfile(cam_path(cam_dir, i))]
