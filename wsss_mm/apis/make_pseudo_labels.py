"""Stage (4b): pseudo masks by the AffinityNet random walk of the CAMs.

The walk runs in this process (on the model's device); the CRF and the PNG
writing of each image run in a pool of ``num_workers`` processes
(:class:`PseudoMaskWriter`), forked before the model is built, while the
next images are walked.
"""

import multiprocessing as mp
import os.path as osp
from collections import deque
from functools import partial
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.config import Config
from mmengine.device import get_device

from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.refine.crf import DenseCRF
from wsss_mm.refine.pseudo_labels import (
    confident_labels,
    label_path,
    save_label_map,
    scores_to_labels,
)
from wsss_mm.refine.random_walk import walk_cams
from wsss_mm.registry import MODELS
from wsss_mm.utils.manifest import Overwrite, file_identity
from wsss_mm.utils.parallel import init_worker
from wsss_mm.utils.progress import progress

from .checkpoint import check_device, load_weights
from .label_maps import label_maps_to_write, load_image_and_cams


def load_affinity_net(cfg: Config, checkpoint: str, device: str) -> torch.nn.Module:
    """Builds ``cfg.model`` (an AffinityNet), loads ``checkpoint``, eval mode."""
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'AffinityNet checkpoint not found: {checkpoint}')
    check_device(device)
    model = MODELS.build(cfg.model)
    load_weights(model, checkpoint, 'AffinityNet checkpoint')
    return model.to(device).eval()


def pseudo_crf(cfg: Config) -> Optional[DenseCRF]:
    """The CRF of the pseudo masks: ``pseudo_labels.crf`` False (none), True
    (the config's ``crf``) or a dict of :class:`DenseCRF` arguments that
    update ``crf`` (e.g. Puzzle-CAM's single iteration,
    ``dict(iterations=1)``)."""
    option = cfg.get('pseudo_labels', {}).get('crf', False)
    if not option:
        return None
    params = dict(cfg.crf)
    if isinstance(option, dict):
        params.update(option)
    return DenseCRF(**params)


@torch.no_grad()
def walked_scores(
    model: torch.nn.Module, image: np.ndarray, cams: np.ndarray, walk: dict
) -> torch.Tensor:
    """The scores of one image after the random walk.

    Args:
        model (nn.Module): AffinityNet in eval mode.
        image (np.ndarray): (H, W, 3) uint8 BGR.
        cams (np.ndarray): (n, H, W) CAMs in [0, 1].
        walk (dict): arguments of :func:`walk_cams` (``beta``, ``exp_times``,
            ``bg_mode``, ``bg_value``, ``normalize``, ``cam_power``); the
            radius is the model's.

    Returns:
        Tensor: (n + 1, H, W) on the model's device, background first.
    """
    device = next(model.parameters()).device
    data = model.data_preprocessor(
        dict(inputs=[torch.from_numpy(image).permute(2, 0, 1).contiguous()]), False
    )
    feats = model.extract_feat(data['inputs'].to(device))[0]
    return walk_cams(torch.from_numpy(cams).to(device), feats, model.radius, **walk)


def walked_labels(
    keys: np.ndarray,
    scores: torch.Tensor,
    image: np.ndarray,
    crf: Optional[DenseCRF] = None,
    ignore_band: Optional[tuple] = None,
) -> np.ndarray:
    """The pseudo mask of one image from its walked scores.

    Args:
        keys (np.ndarray): (n,) class ids 1..C.
        scores (Tensor): (n + 1, H, W) walked scores, background first
            (:func:`walked_scores`).
        image (np.ndarray): (H, W, 3) uint8 BGR.
        crf (DenseCRF, optional): refine the walked labels.
        ignore_band (tuple, optional): ``(low, high)``: with a threshold
            background, walked scores between the two are ignored (255).

    Returns:
        np.ndarray: (H, W) uint8 class ids.
    """
    if ignore_band is None:
        return scores_to_labels(keys, scores, crf, image)
    low, high = ignore_band
    return confident_labels(keys, scores[1:], high, low, crf, image)


class PseudoMaskWriter:
    """Labels walked scores (CRF included) and writes the PNG of one image;
    picklable, for worker processes.

    Args:
        out_dir (str): where the pseudo masks go.
        palette (Sequence[int]): flat PNG palette.
        crf, ignore_band: see :func:`walked_labels`.
    """

    def __init__(
        self,
        out_dir: str,
        palette: Sequence[int],
        crf: Optional[DenseCRF] = None,
        ignore_band: Optional[tuple] = None,
    ) -> None:
        self.out_dir = out_dir
        self.palette = palette
        self.crf = crf
        self.ignore_band = ignore_band

    def __call__(
        self, img_id: str, image: np.ndarray, keys: np.ndarray, scores: np.ndarray
    ) -> None:
        """``scores``: (n + 1, H, W) float32 walked scores, background first."""
        labels = walked_labels(keys, torch.from_numpy(scores), image, self.crf, self.ignore_band)
        save_label_map(label_path(self.out_dir, img_id), labels, self.palette)


def walk_cam_files(
    cfg: Config,
    checkpoint: str,
    cam_dir: str,
    out_dir: str,
    data_root: Optional[str] = None,
    split: Optional[str] = None,
    device: Optional[str] = None,
    allow_pickle: bool = False,
    overwrite: Overwrite = False,
) -> dict:
    """Writes the walked class scores of every image of a split as CAM files
    (``OUT_DIR/<image_id>.npz``, the CAM file format), so that their
    background threshold can be swept like the seeds'
    (:func:`~wsss_mm.apis.eval_cams.eval_cams`) and label maps written at
    the best one. ``OUT_DIR/.recipe.json`` records what makes them (the
    AffinityNet's settings and checkpoint, ``random_walk``, the CAM folder, the
    split); a rerun of the same recipe skips the images whose file is there
    and whole, another recipe is refused unless ``overwrite``.

    Args:
        cfg (Config): an AffinityNet config with ``random_walk`` (its
            ``bg_mode`` must be ``'threshold'``: the walked class scores do
            not depend on the threshold's value then).
        checkpoint (str): trained AffinityNet.
        cam_dir (str): folder of CAM files.
        out_dir (str): where the walked CAM files go.
        data_root, split, device, allow_pickle, overwrite: see
            :func:`make_pseudo_labels` (``allow_pickle`` is for reading
            ``cam_dir`` only: the walked files are written as ``.npz``).

    Returns:
        dict: ``{'done': n written now, 'skipped': n already there, 'total': n,
        'unreadable': n of the written that replaced a file that was not whole}``.

    Raises:
        FileNotFoundError: CAM files or the checkpoint are missing.
        ValueError: ``random_walk.bg_mode`` is not ``'threshold'``.
        RecipeMismatchError: ``out_dir`` was made by another recipe.
    """
    walk = dict(cfg.random_walk)
    if walk.get('bg_mode', 'threshold') != 'threshold':
        raise ValueError(
            'walked scores are swept over background thresholds: '
            'random_walk.bg_mode must be "threshold", got '
            f'"{walk["bg_mode"]}"'
        )
    device = device or get_device()
    model = load_affinity_net(cfg, checkpoint, device)
    recipe = dict(
        stage='random_walk',
        model=cfg.model,
        checkpoint=file_identity(checkpoint),
        random_walk=walk,
    )
    data_root, _, plan = label_maps_to_write(
        cfg,
        cam_dir,
        out_dir,
        recipe,
        data_root,
        split,
        allow_pickle,
        overwrite,
        path_of=partial(cam_path, out_dir),
    )
    for img_id in progress(plan.todo, desc='random walk'):
        image, cam = load_image_and_cams(data_root, cam_dir, img_id, allow_pickle)
        scores = walked_scores(model, image, cam['cam'], walk)
        save_cam_file(cam_path(out_dir, img_id), cam['keys'], scores[1:].clamp(0, 1).cpu().numpy())
    return plan.summary()


def make_pseudo_labels(
    cfg: Config,
    checkpoint: str,
    cam_dir: str,
    out_dir: str,
    data_root: Optional[str] = None,
    split: Optional[str] = None,
    device: Optional[str] = None,
    allow_pickle: bool = False,
    num_workers: Optional[int] = None,
    overwrite: Overwrite = False,
) -> dict:
    """Writes ``OUT_DIR/<image_id>.png`` pseudo masks for every image of a split.

    ``OUT_DIR/.recipe.json`` records what makes them (the AffinityNet's
    settings and checkpoint, ``random_walk``, ``pseudo_labels`` and the CRF, the
    CAM folder, the data root, the split); a rerun of the same recipe skips the
    images whose file is there and whole (a killed run resumes), another recipe
    is refused unless ``overwrite``. Each file is written atomically as a
    palette PNG (the palette of the data root's layout). The walk runs here;
    the CRF and the writing of each image run in ``num_workers`` forked
    processes while the next images are walked (the same masks as in one
    process).

    Args:
        cfg (Config): an AffinityNet config with ``random_walk`` (see
            :func:`walked_scores`) and ``pseudo_labels`` (``crf``: see
            :func:`pseudo_crf`, ``ignore_band``: None or (low, high));
            ``crf`` holds the :class:`DenseCRF` arguments.
        checkpoint (str): trained AffinityNet.
        cam_dir (str): folder of CAM files.
        out_dir (str): where the pseudo masks go.
        data_root (str, optional): replaces ``cfg.data_root``.
        split (str, optional): split file (absolute or relative to the data
            root). Default: the AffinityNet training split.
        device (str, optional): default :func:`mmengine.device.get_device` (CUDA when available).
        allow_pickle (bool): read legacy pickled ``<image_id>.npy`` CAM files
            (unpickling can run code from the file: only for files you made).
        num_workers (int, optional): processes of the CRF and the writing;
            default ``cfg.refine_workers`` (1 when unset); <= 1: all in this
            process.
        overwrite (bool | str): False: refuse an ``out_dir`` made by another
            recipe; True: write every file again; ``'if-stale'``: write every
            file again only where it was made by another recipe.

    Returns:
        dict: ``{'done': n written now, 'skipped': n already there, 'total': n,
        'unreadable': n of the written that replaced a file that was not whole}``.

    Raises:
        FileNotFoundError: CAM files or the checkpoint are missing.
        PickledCAMFileError: legacy ``.npy`` CAM files without ``allow_pickle``.
        ValueError: an ignore band with a non-threshold background.
        RecipeMismatchError: ``out_dir`` was made by another recipe.
    """
    walk = dict(cfg.random_walk)
    options = dict(cfg.get('pseudo_labels', {}))
    ignore_band = options.get('ignore_band')
    if ignore_band is not None and walk.get('bg_mode', 'threshold') != 'threshold':
        raise ValueError('pseudo_labels.ignore_band needs random_walk.bg_mode="threshold"')
    if not osp.isfile(checkpoint):
        raise FileNotFoundError(f'AffinityNet checkpoint not found: {checkpoint}')
    crf = pseudo_crf(cfg)
    recipe = dict(
        stage='make_pseudo_labels',
        model=cfg.model,
        checkpoint=file_identity(checkpoint),
        random_walk=walk,
        pseudo_labels=dict(ignore_band=ignore_band, crf=crf and vars(crf)),
    )
    data_root, _, plan = label_maps_to_write(
        cfg, cam_dir, out_dir, recipe, data_root, split, allow_pickle, overwrite
    )
    todo = plan.todo
    writer = PseudoMaskWriter(out_dir, detect_layout(data_root).flat_palette(), crf, ignore_band)
    workers = cfg.get('refine_workers', 1) if num_workers is None else num_workers
    workers = min(workers, len(todo))
    # forked before the model is built and torch runs: the workers start clean
    pool = mp.get_context('fork').Pool(workers, init_worker) if workers > 1 else None
    try:
        device = device or get_device()
        model = load_affinity_net(cfg, checkpoint, device)
        pending = deque()
        for img_id in progress(todo, desc='random walk'):
            image, cam = load_image_and_cams(data_root, cam_dir, img_id, allow_pickle)
            scores = walked_scores(model, image, cam['cam'], walk).float().cpu().numpy()
            if pool is None:
                writer(img_id, image, cam['keys'], scores)
                continue
            pending.append(pool.apply_async(writer, (img_id, image, cam['keys'], scores)))
            while len(pending) > 2 * workers:  # bounded: a few images in flight
                pending.popleft().get()  # re-raises a worker's error
        while pending:
            pending.popleft().get()
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()
    return plan.summary()
