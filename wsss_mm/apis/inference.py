"""Building a CAM network and computing the CAMs of one image (mmseg's
``init_model`` / ``inference_model`` for CAM networks)."""

import copy
import os.path as osp
from pathlib import Path
from typing import Callable, Dict, Optional, Sequence, Union

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.registry import init_default_scope

from wsss_mm.cams import check_cam_network, multi_hot, multiscale_cams
from wsss_mm.datasets.transforms import PackCAMInputs
from wsss_mm.registry import CAM_METHODS, MODELS
from wsss_mm.utils.io import read_image
from wsss_mm.utils.setup_env import register_all_modules

from .checkpoint import check_device, load_weights

ImageType = Union[str, np.ndarray]


def build_cam_method(name: str, cfg: Optional[Config] = None):
    """Builds a CAM method by type name, with options from ``cfg.cam_methods[name]``.

    Raises:
        KeyError: the name is not registered; the message lists the known ones
            and says where a method of one's own is imported.
    """
    if name not in CAM_METHODS:
        known = sorted(CAM_METHODS.module_dict)
        raise KeyError(
            f'unknown CAM method "{name}"; registered: {known}. A method of your own '
            'registers in wsss_mm.registry.CAM_METHODS in a module that the config '
            "imports: custom_imports = dict(imports=['my_package.my_cam'], "
            'allow_failed_imports=False)'
        )
    options = dict((cfg or {}).get('cam_methods', {}).get(name, {}))
    return CAM_METHODS.build(dict(type=name, **options))


def load_cam_network(cfg: Config, checkpoint: Optional[str], device: str) -> torch.nn.Module:
    """Builds ``cfg.model``, checks that it is a CAM network, loads
    ``checkpoint`` (weights-only) and sets eval mode."""
    return load_network(cfg, checkpoint, device, check=check_cam_network)


def load_network(
    cfg: Config,
    checkpoint: Optional[str],
    device: str,
    check: Optional[Callable[[nn.Module], None]] = None,
) -> nn.Module:
    """Builds ``cfg.model``, runs ``check`` on it, loads ``checkpoint``
    (weights-only, strict) and sets eval mode.

    Raises:
        FileNotFoundError: the checkpoint does not exist (named).
        ValueError: ``device`` is unknown or absent here, or the checkpoint is
            not one, or not one of this network (:func:`load_weights`).
    """
    check_device(device)
    model = MODELS.build(cfg.model)
    if check is not None:
        check(model)
    if checkpoint is not None:
        load_weights(model, checkpoint)
    return model.to(device).eval()


def init_model(
    config: Union[str, Path, Config],
    checkpoint: Optional[str] = None,
    device: Optional[str] = None,
    cfg_options: Optional[dict] = None,
) -> nn.Module:
    """Builds a CAM network from a config and loads its weights.

    Args:
        config (str | Path | Config): a CAM network config file or object.
        checkpoint (str, optional): trained weights; None keeps the network
            as initialised.
        device (str, optional): e.g. ``'cpu'``, ``'cuda:0'``. Default: the
            best available (:func:`mmengine.device.get_device`).
        cfg_options (dict, optional): settings merged into the config.

    Returns:
        nn.Module: the network in eval mode, with the config as ``model.cfg``.

    Raises:
        FileNotFoundError: the config or the checkpoint does not exist (named).
        TypeError: ``config`` is neither a path nor a Config, or the model is
            not a CAM network.
    """
    if isinstance(config, (str, Path)):
        if not osp.isfile(config):
            raise FileNotFoundError(f'config file not found: {config}')
        config = Config.fromfile(str(config))
    elif isinstance(config, Config):
        config = copy.deepcopy(config)
    else:
        raise TypeError(f'config must be a file name or a Config, got {type(config).__name__}')
    if cfg_options:
        config.merge_from_dict(cfg_options)
    register_all_modules(init_default_scope=False)
    init_default_scope(config.get('default_scope', 'wsss_mm'))
    model = load_cam_network(config, checkpoint, device or get_device())
    model.cfg = config
    return model


def _pack_image(img: ImageType) -> dict:
    """One image as a batch of the data preprocessor's input format."""
    if isinstance(img, (str, Path)):
        path, array = str(img), read_image(str(img))
    else:
        path, array = None, np.asarray(img)
        if array.ndim != 3 or array.shape[2] != 3 or array.dtype != np.uint8:
            raise ValueError(
                'img must be a file name or an (H, W, 3) uint8 BGR array, got '
                f'{array.dtype} {array.shape}'
            )
    results = dict(img=array, img_shape=array.shape[:2], ori_shape=array.shape[:2])
    if path is not None:
        results['img_path'] = path
    packed = PackCAMInputs().transform(results)
    return dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']])


def inference_cams(
    model: nn.Module,
    img: ImageType,
    method: str = 'CAM',
    scales: Sequence[float] = (1.0,),
    flip: bool = False,
    labels: Optional[Sequence[int]] = None,
) -> Dict[str, np.ndarray]:
    """The CAMs of one image, as a CAM file holds them.

    The image is normalised by the model's data preprocessor; the maps of the
    CAM method (options from ``model.cfg.cam_methods``) are aggregated over
    ``scales`` (and horizontal flips) by :func:`wsss_mm.cams.multiscale_cams`.

    Args:
        model (nn.Module): a CAM network from :func:`init_model`.
        img (str | np.ndarray): an image file or an (H, W, 3) uint8 BGR array.
        method (str): a registered CAM method. Default: 'CAM'.
        scales (Sequence[float]): input scales. Default: (1.0, ).
        flip (bool): add the horizontally flipped image. Default: False.
        labels (Sequence[int], optional): the foreground class ids (1..C, the
            CAM file's ``keys``) to explain; None: the classes the network
            predicts (``sigmoid(logits) > 0.5``).

    Returns:
        dict: ``keys`` int64 (n,), the class ids in increasing order, and
        ``cam`` float32 (n, H, W) in [0, 1] at the image's size.

    Raises:
        ValueError: a label outside 1..C, or a bad image array.
        KeyError: an unknown CAM method.
    """
    cam_method = build_cam_method(method, getattr(model, 'cfg', None))
    num_classes = model.cam_weights().shape[0]
    data = model.data_preprocessor(_pack_image(img), False)
    inputs = data['inputs']
    height, width = data['data_samples'][0].ori_shape
    if labels is None:
        with torch.no_grad():
            scores = model.predict_logits(model.extract_feat(inputs)).sigmoid()[0]
        class_ids = (scores > 0.5).nonzero().flatten().tolist()
    else:
        bad = [int(c) for c in labels if not 1 <= int(c) <= num_classes]
        if bad:
            raise ValueError(f'labels {bad} are outside the class ids 1..{num_classes}')
        class_ids = [int(c) - 1 for c in labels]
    class_ids = sorted(set(class_ids))
    multi = multi_hot([class_ids], num_classes).to(inputs)
    cams = multiscale_cams(cam_method, model, inputs, multi, scales=tuple(scales), flip=flip)
    cams = cams[0, class_ids, :height, :width]
    return dict(
        keys=np.asarray(class_ids, dtype=np.int64) + 1,
        cam=cams.detach().cpu().numpy().astype(np.float32),
    )
