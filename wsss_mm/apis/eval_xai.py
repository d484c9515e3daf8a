"""Explanation quality of attribution methods (seed 002, A.1.3 / B.1.2): masked-
image scores of every explained class and the multi-label XAI metrics."""

from typing import Dict, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.device import get_device
from prettytable import PrettyTable
from torch.utils.data import DataLoader

from wsss_mm.cams.base_cam import present_pairs
from wsss_mm.datasets.data_layout import detect_layout
from wsss_mm.evaluation.metrics.xai_metric import XAI_KEYS, MultiLabelXAIMetric, explained_classes
from wsss_mm.registry import DATASETS
from wsss_mm.utils.progress import progress

from .config_utils import dataset_cfg, override_data_root, resolve_split
from .inference import build_cam_method, load_cam_network

#: how each metric improves, for the table's header
BETTER = {'IC': '↑', 'AD': '↓', 'ADO': '↑', 'AR': '↑', 'ARO': '↓', 'F1-': '↓', 'F1+': '↑'}


def explanation_masks(
    cams: torch.Tensor, labels: torch.Tensor, size: Tuple[int, int]
) -> torch.Tensor:
    """The maps of the present pairs at input size, min-max normalised.

    Args:
        cams (Tensor): (B, C, h, w) maps of a CAM method.
        labels (Tensor): (B, C) multi-hot.
        size (tuple[int, int]): (H, W) of the input.

    Returns:
        Tensor: (N, 1, H, W) in [0, 1], the pairs of ``present_pairs``.
    """
    maps = F.interpolate(
        cams[present_pairs(labels)][:, None], size=size, mode='bilinear', align_corners=False
    )
    flat = maps.flatten(1)
    low = flat.amin(dim=1)[:, None, None, None]
    span = flat.amax(dim=1)[:, None, None, None] - low
    return torch.where(span > 0, (maps - low) / span.clamp(min=1e-12), 0)


@torch.no_grad()
def class_probabilities(model: nn.Module, inputs: torch.Tensor, batch_size: int) -> torch.Tensor:
    """``sigmoid(logits)`` of (N, 3, H, W) inputs, ``batch_size`` at a time."""
    return torch.cat(
        [
            model.predict_logits(model.extract_feat(chunk)).sigmoid()
            for chunk in inputs.split(batch_size)
        ]
    )


def explanation_scores(
    model: nn.Module, method, inputs: torch.Tensor, labels: torch.Tensor, batch_size: int = 32
) -> Tuple[torch.Tensor, torch.Tensor]:
    """Scores of the images masked by each explained class's map, and by its
    complement.

    All (image, class) pairs and both maskings run as one set of batches.
    The maps multiply the normalised inputs, so masked pixels take the
    dataset's mean colour.

    Args:
        model (nn.Module): a CAM network in eval mode.
        method: a CAM method (``CAM_METHODS``).
        inputs (Tensor): (B, 3, H, W) normalised images.
        labels (Tensor): (B, C) multi-hot of the classes to explain
            (:func:`explained_classes`: the ground truth or the detected
            classes); the CAM method gets them as its labels.
        batch_size (int): masked images per forward pass.

    Returns:
        tuple[Tensor, Tensor]: ``f(M^c ∘ x)`` and ``f((1 − M^c) ∘ x)``, each
        (N, C) probabilities over the pairs of ``present_pairs``; (0, C), and
        the method not run, when there is no pair.
    """
    if not labels.any():
        empty = inputs.new_zeros((0, labels.shape[1]))
        return empty, empty
    masks = explanation_masks(method(model, inputs, labels), labels, inputs.shape[2:])
    images = inputs[present_pairs(labels)[0]]
    probs = class_probabilities(
        model, torch.cat([images * masks, images * (1 - masks)]), batch_size
    )
    return probs[: len(masks)], probs[len(masks) :]


def eval_xai(
    cfg: Config,
    checkpoint: Optional[str],
    methods: Sequence[str],
    split: Optional[str] = None,
    data_root: Optional[str] = None,
    batch_size: int = 32,
    device: Optional[str] = None,
    classes: str = 'labels',
    detect_threshold: float = 0.5,
) -> Dict[str, Dict[str, float]]:
    """The multi-label XAI metrics of several CAM methods over a split.

    One pass over the images; each image's unmasked scores are shared by the
    methods and give the detected classes. Maps are single-scale, at the
    network's input (the images at their size, no flip), as in seed 002.

    Args:
        cfg (Config): a CAM network config with a ``cam_dataloader``.
        checkpoint (str, optional): trained weights.
        methods (Sequence[str]): registered CAM methods (options from
            ``cfg.cam_methods``).
        split (str, optional): split file (absolute or relative to the data
            root). Default: ``ImageSets/Segmentation/val.txt``.
        data_root (str, optional): replaces the config's data root.
        batch_size (int): masked images per forward pass.
        device (str, optional): default :func:`mmengine.device.get_device` (CUDA when available).
        classes (str): the classes explained, as c and as the others:
            ``'labels'`` (default: the ground truth, as WSSS makes its CAMs)
            or ``'detected'`` (``sigmoid(logit) > detect_threshold``, as the
            authors' notebook); see :class:`MultiLabelXAIMetric`.
        detect_threshold (float): for ``'detected'``.

    Returns:
        dict: ``{method: {metric: percent}}`` with the keys of ``XAI_KEYS``,
        and ``'images_without_classes'`` (``NO_CLASS_KEY``): the count of
        images with no explained class, which contribute nothing.
    """
    if not methods:
        raise ValueError('name at least one CAM method')
    if data_root is not None:
        override_data_root(cfg, data_root)
    device = device or get_device()
    cam_methods = {name: build_cam_method(name, cfg) for name in methods}
    metrics = {
        name: MultiLabelXAIMetric(classes=classes, detect_threshold=detect_threshold)
        for name in methods
    }
    ds_cfg = dataset_cfg(cfg, 'cam_dataloader').copy()
    ds_cfg['ann_file'] = resolve_split(
        split or detect_layout(ds_cfg.get('data_root') or '').val_split
    )
    dataset = DATASETS.build(ds_cfg)
    model = load_cam_network(cfg, checkpoint, device)
    loader = DataLoader(
        dataset,
        batch_size=1,
        shuffle=False,
        collate_fn=pseudo_collate,
        num_workers=cfg.cam_dataloader.get('num_workers', 0),
    )
    for data in progress(loader, total=len(dataset), desc='XAI metrics'):
        data = model.data_preprocessor(data, False)
        inputs = data['inputs'].to(device)
        labels = torch.stack([s.gt_labels for s in data['data_samples']]).to(inputs)
        scores = class_probabilities(model, inputs, batch_size)
        explained = explained_classes(labels, scores, classes, detect_threshold)
        rows = present_pairs(explained)[0]
        for name, method in cam_methods.items():
            masked, complement = explanation_scores(model, method, inputs, explained, batch_size)
            metrics[name].process(
                None,
                [
                    dict(
                        gt_labels=labels[i],
                        pred_scores=scores[i],
                        masked_scores=masked[rows == i],
                        complement_scores=complement[rows == i],
                    )
                    for i in range(len(labels))
                ],
            )
    return {name: metric.compute_metrics(metric.results) for name, metric in metrics.items()}


def format_xai_table(results: Dict[str, Dict[str, float]]) -> str:
    """One row per method, one column per metric (percent), as Tables 3 / 4 of
    seed 002; the header marks whether higher (↑) or lower (↓) is better."""
    table = PrettyTable(['method'] + [f'%{k}{BETTER[k]}' for k in XAI_KEYS], align='r')
    table.align['method'] = 'l'
    for name, values in results.items():
        table.add_row([name] + [f'{values[k]:.2f}' for k in XAI_KEYS])
    return table.get_string()
