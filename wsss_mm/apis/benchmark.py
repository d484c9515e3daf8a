"""Speed of the batched attribution methods against their straightforward loops:
AdvCAM (all (image, flip, class) rows climb in one batch) against a per-image,
per-scale, per-class loop of the same algorithm, and against its floor; Score-CAM
(batches of masked images) against one forward pass per channel."""
import ctypes
import gc
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config

from wsss_mm.cams import AdvCAM, ScoreCAM, max_normalize, multiscale_cams
from wsss_mm.cams.base_cam import present_pairs
from wsss_mm.registry import DATASETS

from .config_utils import dataset_cfg, resolve_split


def load_images(cfg: Config, model: nn.Module, num_images: int,
                split: Optional[str] = None) -> Tuple[torch.Tensor, torch.Tensor]:
    """The first ``num_images`` images of the CAM dataset that have a label,
    normalised by the model's preprocessor and resized to the first one's size.

    Returns:
        tuple[Tensor, Tensor]: (B, 3, H, W) inputs and (B, C) labels, on the
        model's device.
    """
    ds_cfg = dataset_cfg(cfg, 'cam_dataloader').copy()
    if split is not None:
        ds_cfg['ann_file'] = resolve_split(split)
    dataset = DATASETS.build(ds_cfg)
    inputs, labels = [], []
    for index in range(len(dataset)):
        if len(inputs) == num_images:
            break
        data = model.data_preprocessor(
            {k: [v] for k, v in dataset[index].items()}, False)
        if data['data_samples'][0].gt_labels.any():
            size = inputs[0].shape[2:] if inputs else data['inputs'].shape[2:]
            inputs.append(F.interpolate(data['inputs'], size=size, mode='bilinear',
                                        align_corners=False))
            labels.append(data['data_samples'][0].gt_labels)
    if not inputs:
        raise ValueError(f'no labelled image in {ds_cfg["ann_file"]}')
    inputs = torch.cat(inputs)
    return inputs, torch.stack(labels).to(inputs)


def _rss_kib(field: str) -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    raise KeyError(field)


def measure(fn: Callable[[], torch.Tensor],
            device: torch.device) -> Tuple[torch.Tensor, float, float]:
    """Runs ``fn`` once.

    Peak memory is the rise of the CUDA allocator's peak on a GPU; on the CPU
    the rise of the process's peak resident set (Linux ``VmHWM``, reset
    through ``/proc/self/clear_refs`` after returning freed heap to the
    system), NaN where that is unavailable.

    Returns:
        tuple: the output, the seconds, the peak memory in MiB.
    """
    gc.collect()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device)
    else:
        try:
            ctypes.CDLL('libc.so.6').malloc_trim(0)
            with open('/proc/self/clear_refs', 'w') as f:
                f.write('5')  # reset VmHWM to the current resident set
            base = _rss_kib('VmRSS') * 1024
        except OSError:
            base = None
    start = time.perf_counter()
    out = fn()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated(device) - base
    else:
        peak = float('nan') if base is None else _rss_kib('VmHWM') * 1024 - base
    return out, seconds, peak / 2**20


def compare(variants: Sequence[Tuple[str, Callable[[], Optional[torch.Tensor]]]],
            device: torch.device, repeat: int = 1) -> List[Dict]:
    """Times the variants in ``repeat`` interleaved rounds (the fastest run of
    each is kept, so that a busy machine biases no variant).

    Args:
        variants: ``(name, fn)``; ``fn`` returns maps to compare with the first
            variant's, or None.

    Returns:
        list[dict]: per variant ``name``, ``seconds``, ``peak_mib`` and
        ``max_rel_diff`` (None where ``fn`` returns None).
    """
    rows = [dict(name=name, seconds=float('inf'), peak_mib=0.0, max_rel_diff=None)
            for name, _ in variants]
    reference = None
    for _ in range(repeat):
        for row, (_, fn) in zip(rows, variants):
            out, seconds, peak = measure(fn, device)
            row['seconds'] = min(row['seconds'], seconds)
            row['peak_mib'] = max(row['peak_mib'], peak)
            if out is not None:
                reference = out if reference is None else reference
                row['max_rel_diff'] = _relative_error(out, reference)
    return rows


def authors_step_climb(method: AdvCAM, model: nn.Module, rows: torch.Tensor,
                       labels: torch.Tensor, cls: int) -> torch.Tensor:
    """AdvCAM of one class written as the authors' code runs a step: the
    Grad-CAM of the class by a backward pass of its score down to the image
    (their hooked ``backward()``; here the image gradient is discarded), then
    the backward pass of the objective. Same maps as :meth:`AdvCAM.climb` with
    the Grad-CAM base (equal in float64; float32 rounding can flip a pixel of
    the restricting mask and leave differences of ~1e-3 after 27 steps).

    Args:
        rows (Tensor): (n, 3, H, W), e.g. an image and its flip.
        labels (Tensor): (C,) the image's labels.
        cls (int): the class.

    Returns:
        Tensor: (n, h, w) ``Σ_t A(x^t)``.
    """
    coefs = labels.new_full(labels.shape, -1.0) if method.suppress == 'all' else -labels
    coefs[cls] = 1
    low = rows.amin(dim=(1, 2, 3), keepdim=True)
    high = rows.amax(dim=(1, 2, 3), keepdim=True)
    x, init, total = rows.detach(), None, 0
    for step in range(method.steps + 1):
        x = x.detach().requires_grad_(True)
        feats = model.extract_feat(x)
        score = model.predict_logits(feats)[:, cls].sum()
        grad_feats, _ = torch.autograd.grad(score, [feats, x], retain_graph=True)
        maps = torch.einsum('nk,nkhw->nhw', grad_feats.mean(dim=(2, 3)), feats).clamp(min=0)
        total = total + maps.detach()
        if step == method.steps:
            return total
        init = maps.detach() if init is None else init
        peak = maps.detach().flatten(1).amax(dim=1)[:, None, None]
        mask = maps.detach() > method.mask_threshold * peak
        objective = (method.class_scores(model, feats) * coefs).sum() \
            - method.reg_coeff * (mask * (maps - init).abs()).sum()
        (grad, ) = torch.autograd.grad(objective, x)
        x = method.ascend(x.detach(), grad, low, high)


def same_step_climb(method: AdvCAM, model: nn.Module, rows: torch.Tensor,
                    labels: torch.Tensor, cls: int) -> torch.Tensor:
    """:meth:`AdvCAM.climb` of one class on a few rows (args as
    :func:`authors_step_climb`)."""
    return method.climb(model, rows, labels.expand(len(rows), -1),
                        torch.full((len(rows), ), cls, device=rows.device))


ClimbOneClass = Callable[[AdvCAM, nn.Module, torch.Tensor, torch.Tensor, int], torch.Tensor]


def advcam_per_class_loop(method: AdvCAM, model: nn.Module, inputs: torch.Tensor,
                          labels: torch.Tensor, scales: Sequence[float], flip: bool = True,
                          climb: ClimbOneClass = same_step_climb) -> torch.Tensor:
    """The authors' loop order: for each image, scale and present class, the
    image (and its flip) climb alone; aggregated as :func:`multiscale_cams`.

    Args:
        climb: climbs one class on the rows of one image and scale.

    Returns:
        Tensor: (B, C, H, W) in [0, 1], as ``multiscale_cams(method, ...)``.
    """
    total = inputs.new_zeros((*labels.shape, *inputs.shape[2:]))
    for img, cls in zip(*present_pairs(labels)):
        for scale in scales:
            x = F.interpolate(inputs[img:img + 1], scale_factor=scale, mode='bilinear',
                              align_corners=False, recompute_scale_factor=False) \
                if scale != 1 else inputs[img:img + 1]
            rows = torch.cat([x, x.flip(-1)]) if flip else x
            maps = climb(method.at_scale(scale), model, rows, labels[img], int(cls))
            maps = maps[:1] + maps[1:].flip(-1) if flip else maps
            total[img, cls] += F.interpolate(maps[None], size=inputs.shape[2:],
                                             mode='bilinear', align_corners=False)[0, 0]
    return max_normalize(total)


def climbing_floor(method: AdvCAM, model: nn.Module, inputs: torch.Tensor,
                   labels: torch.Tensor, scales: Sequence[float],
                   flip: bool = True) -> None:
    """The least work of batched AdvCAM: per scale, ``T + 1`` forward and
    backward passes of the model over all (image, flip, class) rows."""
    img_idx, _ = present_pairs(labels)
    for scale in scales:
        x = F.interpolate(inputs, scale_factor=scale, mode='bilinear', align_corners=False,
                          recompute_scale_factor=False) if scale != 1 else inputs
        rows = x[img_idx]
        rows = torch.cat([rows, rows.flip(-1)]) if flip else rows
        for _ in range(method.at_scale(scale).steps + 1):
            rows = rows.detach().requires_grad_(True)
            logits = model.predict_logits(model.extract_feat(rows))
            torch.autograd.grad(logits.sum(), rows)


def _relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out - ref).abs().max() / ref.abs().max().clamp(min=1e-12))


def benchmark_advcam(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor,
                     method: AdvCAM, scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                     flip: bool = True, repeat: int = 1) -> List[Dict]:
    """Batched AdvCAM against per-class loops and the floor, same inputs
    (rows of :func:`compare`)."""
    return compare([
        ('AdvCAM batched', lambda: multiscale_cams(method, model, inputs, labels, scales, flip)),
        ('loop, same step', lambda: advcam_per_class_loop(method, model, inputs, labels, scales,
                                                          flip, same_step_climb)),
        ('loop, authors\' step', lambda: advcam_per_class_loop(
            method, model, inputs, labels, scales, flip, authors_step_climb)),
        ('floor: (T+1) fwd+bwd',
         lambda: climbing_floor(method, model, inputs, labels, scales, flip)),
    ], inputs.device, repeat)


def benchmark_scorecam(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor,
                       batch_size: int = 32, repeat: int = 1) -> List[Dict]:
    """Score-CAM in batches of ``batch_size`` masked images against one forward
    pass per channel (rows of :func:`compare`)."""
    return compare([
        (f'ScoreCAM batch {batch_size}', lambda: ScoreCAM(batch_size)(model, inputs, labels)),
        ('ScoreCAM per channel', lambda: ScoreCAM(batch_size=1)(model, inputs, labels)),
    ], inputs.device, repeat)


def format_benchmark(rows: List[Dict]) -> str:
    """A table: time, ratio to the first row, peak memory, output difference."""
    head = f'{"variant":<24}{"time (s)":>10}{"x first":>9}{"peak MiB":>10}{"max rel diff":>14}'
    lines = [head, '-' * len(head)]
    for row in rows:
        diff = '-' if row['max_rel_diff'] is None else f'{row["max_rel_diff"]:.1e}'
        lines.append(f'{row["name"]:<24}{row["seconds"]:>10.2f}'
                     f'{row["seconds"] / rows[0]["seconds"]:>9.2f}'
                     f'{row["peak_mib"]:>10.1f}{diff:>14}')
    return '\n'.join(lines)
