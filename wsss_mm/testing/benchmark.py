"""The harness of ``tools/analysis_tools/benchmark.py``: batched attribution methods
timed against straightforward loops on the same model and images (time, peak
memory, largest relative difference of the outputs).

advcam: AdvCAM with the authors' preset, batched (every (image, flip, class) row of a
scale in one batch), against an independent re-implementation of the authors'
per-image, per-scale, per-class loop (:mod:`wsss_mm.testing.advcam_reference`) and
against its floor: over all rows, one forward pass per summed map and one backward
pass per climbing step. scorecam: Score-CAM in batches of masked images against one
forward pass per channel.
"""

import ctypes
import gc
import time
from typing import Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.config import Config
from prettytable import PrettyTable

from wsss_mm.apis.config_utils import dataset_cfg, resolve_split
from wsss_mm.cams import AdvCAM, ScoreCAM, multiscale_cams
from wsss_mm.cams.base_cam import present_pairs
from wsss_mm.registry import DATASETS


def load_images(
    cfg: Config, model: nn.Module, num_images: int, split: Optional[str] = None
) -> Tuple[torch.Tensor, torch.Tensor]:
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
        data = model.data_preprocessor({k: [v] for k, v in dataset[index].items()}, False)
        if data['data_samples'][0].gt_labels.any():
            size = inputs[0].shape[2:] if inputs else data['inputs'].shape[2:]
            inputs.append(
                F.interpolate(data['inputs'], size=size, mode='bilinear', align_corners=False)
            )
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


def measure(
    fn: Callable[[], torch.Tensor], device: torch.device
) -> Tuple[torch.Tensor, float, float]:
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


def compare(
    variants: Sequence[Tuple[str, Callable[[], Optional[torch.Tensor]]]],
    device: torch.device,
    repeat: int = 1,
) -> List[Dict]:
    """Times the variants in ``repeat`` interleaved rounds (the fastest run of
    each is kept, so that a busy machine biases no variant).

    Args:
        variants: ``(name, fn)``; ``fn`` returns maps to compare with the first
            variant's, or None.

    Returns:
        list[dict]: per variant ``name``, ``seconds``, ``peak_mib`` and
        ``max_rel_diff`` (None where ``fn`` returns None).
    """
    rows = [
        dict(name=name, seconds=float('inf'), peak_mib=0.0, max_rel_diff=None)
        for name, _ in variants
    ]
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


def climbing_floor(
    method: AdvCAM,
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    scales: Sequence[float],
    flip: bool = True,
) -> None:
    """The least work of batched AdvCAM: per scale, over all (image, flip,
    class) rows, one forward pass of the model per summed map and one backward
    pass to the inputs per climbing step (none after the last map)."""
    img_idx, _ = present_pairs(labels)
    for scale in scales:
        x = (
            F.interpolate(
                inputs,
                scale_factor=scale,
                mode='bilinear',
                align_corners=False,
                recompute_scale_factor=False,
            )
            if scale != 1
            else inputs
        )
        rows = x[img_idx]
        rows = torch.cat([rows, rows.flip(-1)]) if flip else rows
        num_maps = method.at_scale(scale).num_maps
        for step in range(num_maps):
            climbing = step < num_maps - 1
            rows = rows.detach().requires_grad_(climbing)
            with torch.set_grad_enabled(climbing):
                logits = model.predict_logits(model.extract_feat(rows))
                if climbing:
                    torch.autograd.grad(logits.sum(), rows)


def _relative_error(out: torch.Tensor, ref: torch.Tensor) -> float:
    return float((out - ref).abs().max() / ref.abs().max().clamp(min=1e-12))


def benchmark_advcam(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    method: AdvCAM,
    reference: Callable[[], torch.Tensor],
    scales: Sequence[float] = (1.0, 0.5, 1.5, 2.0),
    flip: bool = True,
    repeat: int = 1,
) -> List[Dict]:
    """Batched AdvCAM against a reference loop and the floor, same inputs
    (rows of :func:`compare`).

    Args:
        method (AdvCAM): the batched method.
        reference: computes the same (B, C, H, W) maps another way, e.g. the
            per-image, per-class, per-scale loop of the authors' algorithm
            (:func:`wsss_mm.testing.advcam_reference.reference_advcam`).
    """
    return compare(
        [
            (
                'AdvCAM batched',
                lambda: multiscale_cams(method, model, inputs, labels, scales, flip),
            ),
            ('reference loop', reference),
            (
                'floor: fwd/map, bwd/step',
                lambda: climbing_floor(method, model, inputs, labels, scales, flip),
            ),
        ],
        inputs.device,
        repeat,
    )


def benchmark_scorecam(
    model: nn.Module,
    inputs: torch.Tensor,
    labels: torch.Tensor,
    batch_size: int = 32,
    repeat: int = 1,
) -> List[Dict]:
    """Score-CAM in batches of ``batch_size`` masked images against one forward
    pass per channel (rows of :func:`compare`)."""
    return compare(
        [
            (f'ScoreCAM batch {batch_size}', lambda: ScoreCAM(batch_size)(model, inputs, labels)),
            ('ScoreCAM per channel', lambda: ScoreCAM(batch_size=1)(model, inputs, labels)),
        ],
        inputs.device,
        repeat,
    )


def format_benchmark(rows: List[Dict]) -> str:
    """A table: time, ratio to the first row, peak memory, output difference."""
    table = PrettyTable(['variant', 'time (s)', 'x first', 'peak MiB', 'max rel diff'], align='r')
    table.align['variant'] = 'l'
    for row in rows:
        diff = '-' if row['max_rel_diff'] is None else f'{row["max_rel_diff"]:.1e}'
        table.add_row(
            [
                row['name'],
                f'{row["seconds"]:.2f}',
                f'{row["seconds"] / rows[0]["seconds"]:.2f}',
                f'{row["peak_mib"]:.1f}',
                diff,
            ]
        )
    return table.get_string()
