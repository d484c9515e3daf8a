"""Class-agnostic saliency (C²AM / C²AM-H): multi-scale + flip inference over a
split, one saliency file per image, and its background / foreground mIoU."""

import os.path as osp
from concurrent.futures import ThreadPoolExecutor
from typing import Optional, Sequence

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.device import get_device
from prettytable import PrettyTable

from wsss_mm.cams import multiscale_cams
from wsss_mm.cams.cam_file import cam_path
from wsss_mm.cams.saliency_file import (
    check_saliency_dir,
    find_saliency_file,
    load_saliency_file,
    save_saliency_file,
)
from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.evaluation import ThresholdSweep, gt_mask_dirs, load_pair
from wsss_mm.evaluation.seed_miou import DEFAULT_THRESHOLDS
from wsss_mm.utils.io import read_split
from wsss_mm.utils.manifest import Overwrite, file_identity
from wsss_mm.utils.progress import progress

from .config_utils import override_data_root, resolve_split
from .infer_cams import pending_images
from .inference import load_network

#: the background / foreground split scored by :func:`eval_saliency`
SALIENCY_CLASSES = ('background', 'foreground')


def check_saliency_network(model: nn.Module) -> None:
    """Raises ``TypeError`` unless ``model`` gives saliency maps (``C2AM``:
    ``saliency_scores(inputs) -> (B, 1, h, w)``)."""
    if not callable(getattr(model, 'saliency_scores', None)):
        raise TypeError(
            f'{type(model).__name__} is not a saliency network: it has no '
            'saliency_scores(inputs) (use a C2AM config, configs/c2am/)'
        )


def multiscale_saliency(
    model: nn.Module, inputs: torch.Tensor, scales: Sequence[float], flip: bool
) -> torch.Tensor:
    """The saliency of ``model`` summed over scales and horizontal flips at
    the input size, max-normalised per image (the authors'
    ``scripts/ccam/inference.py``; the aggregation of :func:`multiscale_cams`,
    with the saliency as the one "class" of every image).

    Args:
        model (nn.Module): a saliency network in eval mode.
        inputs (Tensor): (B, 3, H, W) normalised images of one size.
        scales (Sequence[float]): input scales.
        flip (bool): add the horizontally flipped images.

    Returns:
        Tensor: (B, 1, H, W) in [0, 1].
    """
    ones = inputs.new_ones(inputs.shape[0], 1)
    with torch.no_grad():
        return multiscale_cams(
            lambda net, x, labels: net.saliency_scores(x),
            model,
            inputs,
            ones,
            scales=scales,
            flip=flip,
        )


def infer_saliency(
    cfg: Config,
    checkpoint: Optional[str],
    out_dir: str,
    split: Optional[str] = None,
    scales: Optional[Sequence[float]] = None,
    flip: Optional[bool] = None,
    data_root: Optional[str] = None,
    device: Optional[str] = None,
    overwrite: Overwrite = False,
) -> dict:
    """Writes ``OUT_DIR/<image_id>.npz`` saliency files for every image of a split.

    ``OUT_DIR/.recipe.json`` records what makes them (as for CAM files:
    :func:`~wsss_mm.apis.infer_cams.pending_images`); a rerun of the same
    recipe skips the images whose file is there and whole, so a killed run
    resumes, and another recipe is refused unless ``overwrite``. Each file is
    written atomically (:func:`~wsss_mm.cams.saliency_file.save_saliency_file`).

    Args:
        cfg (Config): a C2AM config with a ``cam_dataloader`` (the images,
            original size, batch 1) and ``saliency_infer = dict(scales, flip)``.
        checkpoint (str, optional): trained weights (None: as initialised).
        out_dir (str): where the saliency files go.
        split (str, optional): a split file (absolute or relative to the data
            root) replacing the config's.
        scales, flip: override ``cfg.saliency_infer``.
        data_root (str, optional): replaces the config's data root.
        device (str, optional): default :func:`mmengine.device.get_device`.
        overwrite (bool | str): see :func:`~wsss_mm.apis.infer_cams.infer_cams`.

    Returns:
        dict: ``{'done': n written now, 'skipped': n already there, 'total': n,
        'unreadable': n of the written that replaced a file that was not whole}``.

    Raises:
        TypeError: the config's model is not a saliency network.
        FileNotFoundError: the checkpoint, data root or split is missing.
        RecipeMismatchError: ``out_dir`` was made by another recipe.
    """
    if data_root is not None:
        override_data_root(cfg, data_root)
    infer_cfg = dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True)
    infer_cfg.update(cfg.get('saliency_infer', {}))
    scales = tuple(scales if scales is not None else infer_cfg['scales'])
    flip = infer_cfg['flip'] if flip is None else flip
    device = device or get_device()

    model = load_network(cfg, checkpoint, device, check=check_saliency_network)
    recipe = dict(
        stage='infer_saliency',
        model=cfg.model,
        checkpoint=file_identity(checkpoint),
        saliency_infer=dict(infer_cfg, scales=scales, flip=flip),
    )
    loader, plan = pending_images(cfg, out_dir, recipe, split, overwrite=overwrite)
    for data in progress(loader, total=len(plan.todo), desc='saliency'):
        data = model.data_preprocessor(data, False)
        sample = data['data_samples'][0]
        height, width = sample.ori_shape
        saliency = multiscale_saliency(model, data['inputs'].to(device), scales, flip)
        saliency = saliency[0, :, :height, :width].cpu().numpy()
        save_saliency_file(cam_path(out_dir, sample.img_id), saliency)
    return plan.summary()


def eval_saliency(
    sal_dir: str,
    data_root: str,
    split: Optional[str] = None,
    thresholds: Sequence[float] = DEFAULT_THRESHOLDS,
    num_threads: int = 4,
) -> dict:
    """Background / foreground mIoU of saliency maps over a threshold sweep.

    The ground truth is the masks' split: background 0, foreground every
    class id 1..254, 255 ignored (the authors' ``scripts/ccam/evaluate.py``,
    ``--eval_mode saliency``); a pixel is predicted foreground where its
    saliency is above the threshold. One pass fills every threshold's
    confusion matrix (:class:`~wsss_mm.evaluation.ThresholdSweep`).

    Args:
        sal_dir (str): folder of saliency files (``<image_id>.npz`` or grey
            ``<image_id>.png``).
        data_root (str): VOC- or COCO-layout root holding the masks.
        split (str, optional): split file, absolute or relative to the data
            root. Default: the layout's train split (VOC:
            ``ImageSets/Segmentation/train.txt``, COCO: ``train.txt``).
        thresholds (Sequence[float]): increasing thresholds.
        num_threads (int): threads reading the files.

    Returns:
        dict: :meth:`ThresholdSweep.result` (``miou``, ``threshold``,
        ``class_iou`` [background, foreground], ``thresholds``, ``mious``)
        plus ``num_images``.

    Raises:
        FileNotFoundError: the data root, the split, the folder or some
            image's saliency file is missing (named).
    """
    if not osp.isdir(data_root):
        raise FileNotFoundError(f'data root not found: {data_root}')
    ids = read_split(resolve_split(split or detect_layout(data_root).train_split, data_root))
    check_saliency_dir(sal_dir, ids)
    mask_dirs = gt_mask_dirs(data_root)
    sweep = ThresholdSweep(thresholds, len(SALIENCY_CLASSES))
    keys = np.array([1])

    def read(img_id: str) -> np.ndarray:
        return load_saliency_file(find_saliency_file(sal_dir, img_id))

    with ThreadPoolExecutor(num_threads) as pool:
        pairs = pool.map(
            lambda i: load_pair(i, mask_dirs, read, what=f'saliency map in {sal_dir}'), ids
        )
        for gt, saliency in progress(pairs, total=len(ids), desc='eval saliency'):
            fg_bg = np.where(gt == sweep.ignore_index, gt, (gt > 0).astype(np.uint8))
            sweep.update(fg_bg, keys, saliency[None])
    return dict(sweep.result(), num_images=len(ids))


def format_saliency_table(result: dict) -> str:
    """IoU (%) of background and foreground, their mean and the threshold."""
    table = PrettyTable(['class', 'IoU'], align='r')
    table.align['class'] = 'l'
    for i, name in enumerate(SALIENCY_CLASSES):
        table.add_row(
            [name, f'{result["class_iou"][i]:.2f}'], divider=i == len(SALIENCY_CLASSES) - 1
        )
    table.add_row(['mIoU', f'{result["miou"]:.2f}'])
    table.add_row(['threshold', f'{result["threshold"]:.2f}'])
    return f'{table.get_string()}\nimages: {result["num_images"]}'
