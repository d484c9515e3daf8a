"""Fixes for the dependency stack, applied only where they are needed.

See ``docs/install.md`` (and the measurements behind it) for why each exists:

1. torchvision's PyPI wheel is a CUDA build; with the CPU torch its ``_C`` ops do
   not load and ``import torchvision`` itself raises. We define the ``nms`` /
   ``qnms`` schemas before torchvision is imported, give ``nms`` a pure PyTorch
   kernel and make ``torchvision.ops.boxes._assert_has_ops`` a no-op.
2. mmcv-lite has no compiled ops: a stand-in ``mmcv._ext`` whose every op raises
   a clear ``NotImplementedError`` lets mmseg import (its pure-Python ops work).
3. torch >= 2.6 loads checkpoints weights-only; MMEngine's checkpoints hold a few
   MMEngine and numpy types, which we allow-list so that resuming works with the
   protection left ON.
4. mmcv 2.1's ``adjust_hue`` (used by mmpretrain's ``ColorJitter``) shifts the
   hue by ``np.uint8(hue_factor * 255)``, which numpy 2 refuses for a negative
   factor (``OverflowError``); numpy 1 wrapped it modulo 256. We replace it by
   the same computation with the shift taken modulo 256.

5. MMEngine 0.10.7 resolves ``_base_ = ['pkg::path']`` only for the OpenMMLab
   packages it lists, and through ``pkg_resources``, which setuptools >= 81 no
   longer ships (and which points an editable install at site-packages). We add
   ``wsss_mm`` to that list and find packages with importlib, so that
   ``'wsss_mm::cam/cam_r50_voc.py'`` and ``'mmseg::_base_/...'`` bases resolve
   (the configs lie in ``wsss_mm/.mim``, linked or copied there by setup.py).

Each fix is a no-op where the stack does not need it. This module is imported by
``wsss_mm/__init__.py`` before anything else.
"""

import importlib.machinery
import importlib.util
import os.path as osp
import sys
import types
from typing import Callable, List, Optional

import numpy as np
import torch

#: What each fix did in this process (read by tests and ``collect_env``).
APPLIED = {
    'torchvision_ops': False,
    'mmcv_ext': False,
    'safe_globals': False,
    'adjust_hue': False,
    'external_configs': False,
}


# --------------------------------------------------------------------------- #
# 1. torchvision ops
# --------------------------------------------------------------------------- #
def nms_reference(boxes: torch.Tensor, scores: torch.Tensor, iou_threshold: float) -> torch.Tensor:
    """Greedy non-maximum suppression in plain PyTorch.

    Args:
        boxes (Tensor): (N, 4) boxes as (x1, y1, x2, y2).
        scores (Tensor): (N,) scores.
        iou_threshold (float): boxes overlapping a kept box by more are dropped.

    Returns:
        Tensor: int64 indices of the kept boxes, by decreasing score.
    """
    if boxes.numel() == 0:
        return torch.empty(0, dtype=torch.int64, device=boxes.device)
    order = scores.argsort(descending=True)
    x1, y1, x2, y2 = boxes.unbind(1)
    areas = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
    # pairwise IoU once, then a cheap greedy sweep over the sorted list
    xx1 = torch.maximum(x1[:, None], x1[None, :])
    yy1 = torch.maximum(y1[:, None], y1[None, :])
    xx2 = torch.minimum(x2[:, None], x2[None, :])
    yy2 = torch.minimum(y2[:, None], y2[None, :])
    inter = (xx2 - xx1).clamp(min=0) * (yy2 - yy1).clamp(min=0)
    iou = inter / (areas[:, None] + areas[None, :] - inter).clamp(min=1e-12)
    suppressed = torch.zeros(len(order), dtype=torch.bool)
    keep: List[int] = []
    for i in order.tolist():
        if suppressed[i]:
            continue
        keep.append(i)
        suppressed |= iou[i] > iou_threshold
    return torch.as_tensor(keep, dtype=torch.int64, device=boxes.device)


def _torchvision_ops_load() -> bool:
    """Whether torchvision's compiled ops are (or can be) registered in torch."""
    if hasattr(torch.ops, 'torchvision') and _has_op('nms'):
        return True
    spec = importlib.util.find_spec('torchvision')
    if spec is None or not spec.submodule_search_locations:
        return True  # no torchvision: nothing to fix
    folder = list(spec.submodule_search_locations)[0]
    for suffix in importlib.machinery.EXTENSION_SUFFIXES:
        lib = osp.join(folder, '_C' + suffix)
        if osp.exists(lib):
            try:
                torch.ops.load_library(lib)
                return True
            except (OSError, ImportError, RuntimeError):
                return False
    return False


def _has_op(name: str) -> bool:
    try:
        getattr(torch.ops.torchvision, name)
        return True
    except (AttributeError, RuntimeError):
        return False


def patch_torchvision_ops() -> bool:
    """Registers CPU stand-ins for torchvision's ops when its ``_C`` fails to load.

    Returns:
        bool: True if the patch was applied, False if not needed.
    """
    if 'torchvision' in sys.modules or _torchvision_ops_load():
        return False
    lib = torch.library.Library('torchvision', 'DEF')  # noqa: TOR901
    lib.define('nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.define('qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor')
    lib.impl('nms', nms_reference, 'CPU')
    # keep the Library alive: dropping it unregisters the schemas
    patch_torchvision_ops.library = lib
    import torchvision.ops.boxes as tv_boxes

    tv_boxes._assert_has_ops = lambda: None
    return True


# --------------------------------------------------------------------------- #
# 2. mmcv._ext
# --------------------------------------------------------------------------- #
class _MissingExtModule(types.ModuleType):
    """Stands in for ``mmcv._ext``: every op exists and raises when called."""

    def __getattr__(self, name: str) -> Callable:
        if name.startswith('__'):
            raise AttributeError(name)

        def missing_op(*args, **kwargs):
            raise NotImplementedError(
                f'mmcv op `{name}` needs the compiled mmcv (`mmcv._ext`), but only '
                'mmcv-lite is installed. Install full mmcv for this op, e.g. '
                '`mim install mmcv==2.1.0` (see docs/install.md).'
            )

        missing_op.__name__ = name
        return missing_op


def patch_mmcv_ext() -> bool:
    """Installs the ``mmcv._ext`` stand-in when the compiled module is absent.

    Returns:
        bool: True if the stand-in was installed, False if not needed.
    """
    if 'mmcv._ext' in sys.modules:
        return False
    if importlib.util.find_spec('mmcv') is None:
        return False
    try:
        if importlib.util.find_spec('mmcv._ext') is not None:
            return False
    except (ImportError, ValueError):
        pass
    module = _MissingExtModule('mmcv._ext', 'stand-in for compiled mmcv ops')
    module.__spec__ = importlib.machinery.ModuleSpec('mmcv._ext', None)
    sys.modules['mmcv._ext'] = module
    return True


# --------------------------------------------------------------------------- #
# 3. weights-only checkpoint loading
# --------------------------------------------------------------------------- #
def checkpoint_safe_globals() -> list:
    """The non-tensor types found in MMEngine checkpoints (message hub, numpy)."""
    import numpy as np
    from mmengine.logging.history_buffer import HistoryBuffer

    np_core = getattr(np, '_core', None) or np.core
    safe = [
        HistoryBuffer,
        np_core.multiarray._reconstruct,
        np_core.multiarray.scalar,
        np.ndarray,
        np.dtype,
        getattr,
    ]
    dtypes = getattr(np, 'dtypes', None)
    if dtypes is not None:
        safe += [
            getattr(dtypes, name)
            for name in dir(dtypes)
            if name.endswith('DType') and isinstance(getattr(dtypes, name), type)
        ]
    return safe


def allow_checkpoint_globals() -> bool:
    """Allow-lists MMEngine's checkpoint types for weights-only ``torch.load``.

    Returns:
        bool: True if types were added, False where torch has no such setting.
    """
    if not hasattr(torch.serialization, 'add_safe_globals'):
        return False
    torch.serialization.add_safe_globals(checkpoint_safe_globals())
    return True


# --------------------------------------------------------------------------- #
# 4. mmcv's adjust_hue under numpy 2
# --------------------------------------------------------------------------- #
def adjust_hue(img: np.ndarray, hue_factor: float, backend: Optional[str] = None) -> np.ndarray:
    """mmcv 2.1's ``adjust_hue`` with the hue shift taken modulo 256, as numpy 1
    did, so that a negative ``hue_factor`` works under numpy 2.

    Args:
        img (np.ndarray): (H, W, 3) BGR image.
        hue_factor (float): shift of the hue channel in [-0.5, 0.5].
        backend (str, optional): ``'cv2'`` or ``'pillow'``; default mmcv's
            image backend.

    Returns:
        np.ndarray: the image with its hue shifted, of ``img``'s dtype.
    """
    import cv2
    from mmcv.image import io as mmcv_io
    from PIL import Image

    backend = backend or mmcv_io.imread_backend
    if backend not in ('cv2', 'pillow'):
        raise ValueError(f'backend: {backend} is not supported; use cv2 or pillow')
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f'hue_factor: {hue_factor} is not in [-0.5, 0.5]')
    if not (isinstance(img, np.ndarray) and img.ndim in (2, 3)):
        raise TypeError('img should be an ndarray with 2 or 3 dimensions')
    shift = np.uint8(int(hue_factor * 255) % 256)
    if backend == 'pillow':
        rgb = Image.fromarray(np.ascontiguousarray(img[..., ::-1]), mode='RGB')
        h, s, v = rgb.convert('HSV').split()
        h = Image.fromarray(np.array(h, dtype=np.uint8) + shift, 'L')  # wraps modulo 256
        return np.array(Image.merge('HSV', (h, s, v)).convert('RGB'), dtype=img.dtype)[..., ::-1]
    h, s, v = cv2.split(cv2.cvtColor(img.astype(np.uint8), cv2.COLOR_BGR2HSV_FULL))
    hsv = cv2.merge([h.astype(np.uint8) + shift, s, v])  # wraps modulo 256
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR_FULL).astype(img.dtype)


def patch_adjust_hue() -> bool:
    """Replaces mmcv's ``adjust_hue`` where it fails on a negative factor.

    Returns:
        bool: True if it was replaced, False if not needed (or no mmcv).
    """
    if importlib.util.find_spec('mmcv') is None:
        return False
    import mmcv
    import mmcv.image
    import mmcv.image.photometric as photometric

    if photometric.adjust_hue is adjust_hue:
        return False
    try:
        photometric.adjust_hue(np.zeros((1, 1, 3), np.uint8), -0.1)
        return False
    except OverflowError:
        pass
    for module in (photometric, mmcv.image, mmcv):
        module.adjust_hue = adjust_hue
    return True


# --------------------------------------------------------------------------- #
# 5. MMEngine's external configs ('mmseg::...', 'wsss_mm::...')
# --------------------------------------------------------------------------- #
def _module_name(package: str) -> str:
    """The import name of the distribution ``package`` (mmsegmentation -> mmseg)."""
    from mmengine.config.utils import MODULE2PACKAGE

    for module, dist in MODULE2PACKAGE.items():
        if dist == package:
            return module
    import importlib.metadata

    try:
        top_level = importlib.metadata.distribution(package).read_text('top_level.txt')
    except importlib.metadata.PackageNotFoundError:
        top_level = None
    return top_level.split()[0] if top_level else package


def is_installed(package: str) -> bool:
    """MMEngine's ``is_installed`` without ``pkg_resources``."""
    return importlib.util.find_spec(_module_name(package)) is not None


def get_installed_path(package: str) -> str:
    """The folder of the module of ``package``, where its ``.mim`` lies. Unlike
    MMEngine's, it needs no ``pkg_resources`` and follows an editable install
    (``pip install -e .``) to the source tree instead of site-packages."""
    spec = importlib.util.find_spec(_module_name(package))
    if spec is None or spec.origin is None:
        raise ModuleNotFoundError(f'{package} is not installed (or is a namespace package)')
    return osp.dirname(spec.origin)


def patch_external_configs() -> bool:
    """Lets ``_base_ = ['wsss_mm::...']`` and ``['mmseg::...']`` resolve: adds
    ``wsss_mm`` to MMEngine's known packages and replaces the ``pkg_resources``
    look-ups of ``mmengine.config`` (``pkg_resources`` left setuptools in v81;
    MMEngine 0.10.7 still imports it there).

    Returns:
        bool: True if anything was changed.
    """
    from mmengine.config import config as config_module
    from mmengine.config import utils as config_utils

    changed = 'wsss_mm' not in config_utils.MODULE2PACKAGE
    config_utils.MODULE2PACKAGE.setdefault('wsss_mm', 'wsss_mm')
    if config_module.get_installed_path is not get_installed_path:
        config_module.is_installed = is_installed
        config_module.get_installed_path = get_installed_path
        changed = True
    return changed


def apply() -> None:
    """Applies every fix that this environment needs (idempotent)."""
    APPLIED['torchvision_ops'] |= patch_torchvision_ops()
    APPLIED['mmcv_ext'] |= patch_mmcv_ext()
    APPLIED['safe_globals'] |= allow_checkpoint_globals()
    APPLIED['adjust_hue'] |= patch_adjust_hue()
    APPLIED['external_configs'] |= patch_external_configs()


apply()
