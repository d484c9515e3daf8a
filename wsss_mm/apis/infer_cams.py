"""Stage (2): multi-scale + flip CAM inference over a split, one file per image."""

import os.path as osp
from contextlib import nullcontext
from typing import Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.device import get_device
from mmseg.models.utils import resize
from torch.utils.data import DataLoader, Subset

from wsss_mm.cams import multiscale_cams
from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.datasets.samplers import GroupSampler
from wsss_mm.registry import DATASETS
from wsss_mm.utils.manifest import (
    Overwrite,
    ResumePlan,
    file_identity,
    plan_resume,
    split_identity,
)
from wsss_mm.utils.progress import progress
from wsss_mm.utils.visualization import save_cam_overlay

from .config_utils import dataset_cfg, override_data_root, resolve_split
from .inference import build_cam_method, load_cam_network


def pending_images(
    cfg: Config,
    out_dir: str,
    recipe: dict,
    split: Optional[str] = None,
    group_size: int = 1,
    overwrite: Overwrite = False,
) -> Tuple[DataLoader, ResumePlan]:
    """The images of ``cam_dataloader``'s dataset (or of ``split``) whose
    ``OUT_DIR/<image_id>.npz`` is still to write, so that a rerun resumes.

    ``out_dir`` is claimed for ``recipe`` plus the data root, the split and the
    dataset's transforms (:func:`~wsss_mm.utils.manifest.plan_resume`): a
    folder made by another recipe is refused unless ``overwrite``; files there
    that are not whole are written again.

    With ``group_size`` K > 1 each batch is a group: the pending image (the
    anchor) then the K - 1 images of the split sharing the most classes with
    it (:class:`~wsss_mm.datasets.samplers.GroupSampler`, anchors in split
    order, seed 0).

    Returns:
        tuple: a DataLoader of batches of K (the config's workers) over the
        pending images, and the :class:`~wsss_mm.utils.manifest.ResumePlan`
        (its ``todo``: the pending image ids).

    Raises:
        RecipeMismatchError: ``out_dir`` was made by another recipe.
    """
    ds_cfg = dataset_cfg(cfg, 'cam_dataloader').copy()
    if split is not None:
        ds_cfg['ann_file'] = resolve_split(split)
    dataset = DATASETS.build(ds_cfg)
    ids = [dataset.get_data_info(i)['img_id'] for i in range(len(dataset))]
    recipe = dict(
        recipe,
        data_root=dataset.data_root and osp.abspath(dataset.data_root),
        split=split_identity(ids, getattr(dataset, 'ann_file', None)),
        transforms=ds_cfg.get('pipeline'),
    )
    plan = plan_resume(out_dir, recipe, ids, lambda i: cam_path(out_dir, i), overwrite)
    index = {img_id: i for i, img_id in enumerate(ids)}
    todo = [index[img_id] for img_id in plan.todo]
    indices = todo
    if group_size > 1:
        groups = GroupSampler(dataset, group_size, shuffle=False, seed=0).groups()
        indices = groups[todo].flatten().tolist()
    loader = DataLoader(
        Subset(dataset, indices),
        batch_size=group_size,
        shuffle=False,
        num_workers=cfg.cam_dataloader.get('num_workers', 0),
        collate_fn=pseudo_collate,
    )
    return loader, plan


def group_inputs(
    model: nn.Module, data: dict, device: str
) -> Tuple[torch.Tensor, torch.Tensor, list]:
    """Preprocesses a batch of K images, each resized to the first's size.

    Returns:
        tuple: inputs (K, 3, H, W) on ``device``, labels (K, C), and the K
        preprocessed data samples.
    """
    inputs, samples = [], []
    for image, sample in zip(data['inputs'], data['data_samples']):
        one = model.data_preprocessor(dict(inputs=[image], data_samples=[sample]), False)
        inputs.append(one['inputs'].to(device))
        samples.append(one['data_samples'][0])
    size = inputs[0].shape[-2:]
    inputs = [x if x.shape[-2:] == size else resize(x, size=size, mode='bilinear') for x in inputs]
    labels = torch.stack([sample.gt_labels for sample in samples]).to(device)
    return torch.cat(inputs), labels, samples


def infer_cams(
    cfg: Config,
    checkpoint: Optional[str],
    out_dir: str,
    method: str = 'CAM',
    split: Optional[str] = None,
    scales: Optional[Sequence[float]] = None,
    flip: Optional[bool] = None,
    data_root: Optional[str] = None,
    vis_dir: Optional[str] = None,
    num_vis: int = 0,
    device: Optional[str] = None,
    group_size: Optional[int] = None,
    overwrite: Overwrite = False,
) -> dict:
    """Writes ``OUT_DIR/<image_id>.npz`` CAM files for every image of a split.

    ``OUT_DIR/.recipe.json`` records what makes them (the network's settings
    and checkpoint, the method and its options, scales, flip, group size, the
    data root, the split and its transforms: :mod:`wsss_mm.utils.manifest`).
    A rerun of the same recipe skips the images whose file is there and whole,
    so a killed run resumes; another recipe is refused unless ``overwrite``.
    Each file is written atomically. Images are decoded in dataloader workers.

    Args:
        cfg (Config): a CAM network config with a ``cam_dataloader``.
        checkpoint (str, optional): trained weights (None: as initialised).
        out_dir (str): where the CAM files go.
        method (str): a registered CAM method.
        split (str, optional): a split file (absolute or relative to the data
            root) replacing the config's.
        scales, flip, group_size: override ``cfg.cam_infer`` (default
            ``scales=(1.0, 0.5, 1.5, 2.0), flip=True, group_size=1``).
        data_root (str, optional): replaces the config's data root.
        vis_dir (str, optional): where to save overlays of the first
            ``num_vis`` images (each class's map under its name, with a
            colour bar: :func:`wsss_mm.utils.visualization.save_cam_overlay`).
        device (str, optional): default :func:`mmengine.device.get_device` (CUDA when available).
        group_size (int, optional): 1: each image alone. K > 1: a network
            with ``grouped(labels)`` (Group-WSSS) sees each image with its K - 1
            partners of the split (:func:`pending_images`), resized to its
            size, as a graph whose edges join images sharing a class; every
            image is the anchor of one group, so this costs K times the
            single-image pass.

    Returns:
        dict: ``{'done': n written now, 'skipped': n already there, 'total': n}``.

    Raises:
        ValueError: ``group_size`` < 1, or > 1 for a network without ``grouped``.
    """
    if data_root is not None:
        override_data_root(cfg, data_root)
    infer_cfg = dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True, group_size=1)
    infer_cfg.update(cfg.get('cam_infer', {}))
    scales = tuple(scales if scales is not None else infer_cfg['scales'])
    flip = infer_cfg['flip'] if flip is None else flip
    group_size = infer_cfg['group_size'] if group_size is None else group_size
    device = device or get_device()
    cam_method = build_cam_method(method, cfg)
    model = load_cam_network(cfg, checkpoint, device)
    if group_size < 1 or (group_size > 1 and not hasattr(model, 'grouped')):
        raise ValueError(
            f'group_size {group_size}: expected 1, or > 1 with a group network '
            f'(one with grouped(), e.g. GroupWSSS), got {type(model).__name__}'
        )

    recipe = dict(
        stage='infer_cams',
        model=cfg.model,
        checkpoint=file_identity(checkpoint),
        method=method,
        method_options=cfg.get('cam_methods', {}).get(method, {}),
        cam_infer=dict(infer_cfg, scales=scales, flip=flip, group_size=group_size),
    )
    loader, plan = pending_images(cfg, out_dir, recipe, split, group_size, overwrite)
    vis_left = num_vis if vis_dir else 0
    for data in progress(loader, total=len(plan.todo), desc=f"{method} CAMs"):
        inputs, labels, samples = group_inputs(model, data, device)
        sample = samples[0]
        with model.grouped(labels) if group_size > 1 else nullcontext():
            cams = multiscale_cams(cam_method, model, inputs, labels, scales=scales, flip=flip)[0]
        present = labels[0].nonzero().flatten()
        cams = cams[present].cpu().numpy()
        save_cam_file(cam_path(out_dir, sample.img_id), present.cpu().numpy() + 1, cams)
        if vis_left > 0:
            save_cam_overlay(
                osp.join(vis_dir, sample.img_id + '.jpg'),
                sample.img_path,
                cams,
                present.cpu().numpy() + 1,
                loader.dataset.dataset.metainfo['classes'],
            )
            vis_left -= 1
    return plan.summary()
