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


def measure(fn: Callable[[], torch.Tensor], device: torch.device,
            repeat: int = 1) -> Tuple[torch.Tensor, float, float]:
    """Runs ``fn`` ``repeat`` times.

    Peak memory is the rise of the CUDA allocator's peak on a GPU; on the CPU
    the rise of the process's peak resident set (Linux ``VmHWM``, reset
    through ``/proc/self/clear_refs`` after returning freed heap to the
    system), NaN where that is unavailable.

    Returns:
        tuple: the output of the last run, the fastest run's seconds, the
        peak memory in MiB over the runs.
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
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        if device.type == 'cuda':
            torch.cuda.synchronize(device)
        times.append(time.perf_counter() - start)
    if device.type == 'cuda':
        peak = torch.cuda.max_memory_allocated(device) - base
    else:
        peak = float('nan') if base is None else _rss_kib('VmHWM') * 1024 - base
    return out, min(times), peak / 2**20


def climb_one_class(method: AdvCAM, model: nn.Module, rows: torch.Tensor,
                    labels: torch.Tensor, cls: int) -> torch.Tensor:
    """Straightforward AdvCAM of one class on a few rows (an image and its flip),
    written from Eqs. 4-7 with the Grad-CAM base: Grad-CAM by autograd at every
    step, as the authors' hooked Grad-CAM (no GAP + linear shortcut).

    Args:
        rows (Tensor): (n, 3, H, W).
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
        logits = model.predict_logits(feats)
        (grad_feats, ) = torch.autograd.grad(logits[:, cls].sum(), feats, retain_graph=True)
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


def advcam_per_class_loop(method: AdvCAM, model: nn.Module, inputs: torch.Tensor,
                          labels: torch.Tensor, scales: Sequence[float],
                          flip: bool = True) -> torch.Tensor:
    """The authors' loop order: for each image, scale and present class, the
    image (and its flip) climb alone (:func:`climb_one_class`); aggregated as
    :func:`multiscale_cams`.

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
            maps = climb_one_class(method.at_scale(scale), model, rows, labels[img], int(cls))
            maps = maps[:1] + maps[1:].flip(-1) if flip else maps
            total[img, cls] += F.interpolate(maps[None], size=inputs.shape[2:],
                                             mode='bilinear', align_corners=False)[0, 0]
    return max_normalize(total)


def climbing_floor(method: AdvCAM, model: nn.Module, inputs: torch.Tensor,
                   labels: torch.Tensor, scales: Sequence[float],
                   flip: bool = True) -> torch.Tensor:
    """The least work of batched AdvCAM: per scale, ``T + 1`` forward and
    backward passes of the model over all (image, flip, class) rows.

    Returns:
        Tensor: the last input gradient (to keep the work observable).
    """
    img_idx, _ = present_pairs(labels)
    grad = inputs.new_zeros(())
    for scale in scales:
        x = F.interpolate(inputs, scale_factor=scale, mode='bilinear', align_corners=False,
                          recompute_scale_factor=False) if scale != 1 else inputs
        rows = x[img_idx]
        rows = torch.cat([rows, rows.flip(-1)]) if flip else rows
        for _ in range(method.at_scale(scale).steps + 1):
            rows = rows.detach().requires_grad_(True)
            logits = model.predict_logits(model.extract_feat(rows))
            (grad, ) = torch.autograd.grad(logits.sum(), rows)
    return grad


def _relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out - ref).abs().max() / ref.abs().max().clamp(min=1e-12))


def benchmark_advcam(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor,
                     method: AdvCAM, scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
                     flip: bool = True, repeat: int = 1) -> List[Dict]:
    """Batched AdvCAM against the per-class loop and the floor, same inputs.

    Returns:
        list[dict]: rows ``name``, ``seconds``, ``peak_mib``, ``max_rel_diff``
        (of the maps against the batched ones; None for the floor).
    """
    device = inputs.device
    batched, t_batched, m_batched = measure(
        lambda: multiscale_cams(method, model, inputs, labels, scales, flip), device, repeat)
    loop, t_loop, m_loop = measure(
        lambda: advcam_per_class_loop(method, model, inputs, labels, scales, flip),
        device, repeat)
    _, t_floor, m_floor = measure(
        lambda: climbing_floor(method, model, inputs, labels, scales, flip), device, repeat)
    return [
        dict(name='AdvCAM batched', seconds=t_batched, peak_mib=m_batched, max_rel_diff=0.0),
        dict(name='AdvCAM per-class loop', seconds=t_loop, peak_mib=m_loop,
             max_rel_diff=_relative_error(loop, batched)),
        dict(name='floor: (T+1) fwd+bwd', seconds=t_floor, peak_mib=m_floor,
             max_rel_diff=None),
    ]


def benchmark_scorecam(model: nn.Module, inputs: torch.Tensor, labels: torch.Tensor,
                       batch_size: int = 32, repeat: int = 1) -> List[Dict]:
    """Score-CAM in batches of ``batch_size`` masked images against one forward
    pass per channel; same rows as :func:`benchmark_advcam`."""
    device = inputs.device
    batched, t_batched, m_batched = measure(
        lambda: ScoreCAM(batch_size=batch_size)(model, inputs, labels), device, repeat)
    single, t_single, m_single = measure(
        lambda: ScoreCAM(batch_size=1)(model, inputs, labels), device, repeat)
    return [
        dict(name=f'ScoreCAM batch {batch_size}', seconds=t_batched, peak_mib=m_batched,
             max_rel_diff=0.0),
        dict(name='ScoreCAM per channel', seconds=t_single, peak_mib=m_single,
             max_rel_diff=_relative_error(single, batched)),
    ]


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
