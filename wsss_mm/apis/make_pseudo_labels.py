"""Stage (4b): pseudo masks by the AffinityNet random walk of the CAMs."""
import os.path as osp
from typing import Optional

import numpy as np
import torch
from mmengine.config import Config
from mmengine.runner import load_checkpoint

from wsss_mm.refine.crf import DenseCRF
from wsss_mm.refine.pseudo_labels import (confident_labels, label_path, save_label_map,
                                          scores_to_labels)
from wsss_mm.refine.random_walk import walk_cams
from wsss_mm.registry import MODELS
from wsss_mm.utils.progress import progress

from .label_maps import label_maps_to_write, load_image_and_cams


def load_affinity_net(cfg: Config, checkpoint: str, device: str) -> torch.nn.Module:
    """Builds ``cfg.model`` (an AffinityNet), loads ``checkpoint``, eval mode."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'AffinityNet checkpoint not found: {checkpoint}')
    model = MODELS.build(cfg.model)
    load_checkpoint(model, checkpoint, map_location='cpu', strict=True, logger='silent')
    return model.to(device).eval()


@torch.no_grad()
def pseudo_mask(model: torch.nn.Module, image: np.ndarray, keys: np.ndarray,
                cams: np.ndarray, walk: dict, crf: Optional[DenseCRF] = None,
                ignore_band: Optional[tuple] = None) -> np.ndarray:
    """The pseudo mask of one image.

    Args:
        model (nn.Module): AffinityNet in eval mode.
        image (np.ndarray): (H, W, 3) uint8 BGR.
        keys (np.ndarray): (n,) class ids 1..C.
        cams (np.ndarray): (n, H, W) CAMs in [0, 1].
        walk (dict): arguments of :func:`walk_cams` (``beta``, ``exp_times``,
            ``bg_mode``, ``bg_value``, ``normalize``); the radius is the model's.
        crf (DenseCRF, optional): refine the walked labels.
        ignore_band (tuple, optional): ``(low, high)``: with a threshold
            background, walked scores between the two are ignored (255).

    Returns:
        np.ndarray: (H, W) uint8 class ids.
    """
    device = next(model.parameters()).device
    data = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(image).permute(2, 0, 1).contiguous()]), False)
    feats = model.extract_feat(data['inputs'].to(device))[0]
    scores = walk_cams(torch.from_numpy(cams).to(device), feats, model.radius, **walk)
    if ignore_band is None:
        return scores_to_labels(keys, scores, crf, image)
    low, high = ignore_band
    return confident_labels(keys, scores[1:], high, low, crf, image)


def make_pseudo_labels(cfg: Config,
                       checkpoint: str,
                       cam_dir: str,
                       out_dir: str,
                       data_root: Optional[str] = None,
                       split: Optional[str] = None,
                       device: Optional[str] = None) -> dict:
    """Writes ``OUT_DIR/<image_id>.png`` pseudo masks for every image of a split.

    Images whose file exists are skipped (a killed run resumes); each file is
    written atomically as a VOC palette PNG.

    Args:
        cfg (Config): an AffinityNet config with ``random_walk`` (see
            :func:`pseudo_mask`) and ``pseudo_labels`` (``crf``: bool,
            ``ignore_band``: None or (low, high)); ``crf`` holds the
            :class:`DenseCRF` arguments.
        checkpoint (str): trained AffinityNet.
        cam_dir (str): folder of CAM files.
        out_dir (str): where the pseudo masks go.
        data_root (str, optional): replaces ``cfg.data_root``.
        split (str, optional): split file (absolute or relative to the data
            root). Default: the AffinityNet training split.
        device (str, optional): default CUDA when available.

    Returns:
        dict: ``{'done': n written now, 'skipped': n already there, 'total': n}``.

    Raises:
        FileNotFoundError: CAM files or the checkpoint are missing.
        ValueError: an ignore band with a non-threshold background.
    """
    walk = dict(cfg.random_walk)
    options = dict(cfg.get('pseudo_labels', {}))
    ignore_band = options.get('ignore_band')
    if ignore_band is not None and walk.get('bg_mode', 'threshold') != 'threshold':
        raise ValueError('pseudo_labels.ignore_band needs random_walk.bg_mode="threshold"')
    data_root, ids, todo = label_maps_to_write(cfg, cam_dir, out_dir, data_root, split)
    crf = DenseCRF(**cfg.crf) if options.get('crf', False) else None
    device = device or ('cuda' if torch.cuda.is_available() else 'cpu')
    model = load_affinity_net(cfg, checkpoint, device)
    for img_id in progress(todo, desc='random walk'):
        image, cam = load_image_and_cams(data_root, cam_dir, img_id)
        labels = pseudo_mask(model, image, cam['keys'], cam['cam'], walk, crf, ignore_band)
        save_label_map(label_path(out_dir, img_id), labels)
    return dict(done=len(todo), skipped=len(ids) - len(todo), total=len(ids))
