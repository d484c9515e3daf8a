"""Config edits shared by the tools: data root and split overrides, CPU DDP and its teardown."""

import os
import os.path as osp
from typing import Any, Iterator, Optional

import torch
import torch.distributed as dist
from mmengine.config import Config, ConfigDict

DATALOADER_KEYS = ('train_dataloader', 'val_dataloader', 'test_dataloader', 'cam_dataloader')


def iter_datasets(node: Any) -> Iterator[dict]:
    """Every dataset dict inside a dataloader's ``dataset`` (through wrappers
    such as ``ConcatDataset`` / ``RepeatDataset``)."""
    if isinstance(node, dict):
        if 'data_root' in node or 'ann_file' in node:
            yield node
        for key in ('dataset', 'datasets'):
            yield from iter_datasets(node.get(key))
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from iter_datasets(item)


def override_data_root(cfg: Config, data_root: str) -> None:
    """Sets ``data_root`` of every dataset of every dataloader of ``cfg``.

    Raises:
        FileNotFoundError: ``data_root`` is not a folder.
    """
    if not os.path.isdir(data_root):
        raise FileNotFoundError(f'--data-root: folder not found: {data_root}')
    cfg.data_root = data_root
    for key in DATALOADER_KEYS:
        loader = cfg.get(key)
        if loader:
            for dataset in iter_datasets(loader.get('dataset')):
                dataset['data_root'] = data_root


def dataset_cfg(cfg: Config, key: str) -> ConfigDict:
    """The dataset config of dataloader ``key``, with a clear error if absent."""
    loader = cfg.get(key)
    if not loader or 'dataset' not in loader:
        raise KeyError(
            f'the config defines no `{key}` with a `dataset`; '
            f'CAM configs inherit one from configs/_base_/datasets/'
        )
    return loader.dataset


def setup_cpu_distributed(cfg: Config, launcher: str) -> None:
    """Starts gloo distributed training where CUDA is absent.

    MMEngine 0.10.7 calls ``torch.cuda.set_device`` unconditionally in its
    PyTorch launcher; when a process group already exists it skips that, so
    on a CPU-only machine we create the group (gloo) ourselves and give the
    DDP wrapper (the config's ``model_wrapper_cfg``, else
    ``MMDistributedDataParallel``) no device ids. With CUDA nothing changes
    (nccl via MMEngine).
    """
    if launcher == 'none' or torch.cuda.is_available() or dist.is_initialized():
        return
    if launcher != 'pytorch':
        raise ValueError(
            f'launcher "{launcher}" needs CUDA; on CPU use --launcher pytorch (tools/dist_train.sh)'
        )
    dist.init_process_group(backend='gloo')
    cfg.env_cfg = cfg.get('env_cfg', ConfigDict())
    cfg.env_cfg.dist_cfg = dict(backend='gloo')
    # the config's wrapper (e.g. P-NOC's MMSeparateDistributedDataParallel), on CPU
    wrapper = dict(cfg.get('model_wrapper_cfg') or dict(type='MMDistributedDataParallel'))
    cfg.model_wrapper_cfg = dict(wrapper, device_ids=None)


def close_distributed() -> None:
    """Waits for every rank, then destroys the process group (gloo or nccl).

    Without it the interpreter tears the group down at exit while gloo's
    worker threads still run, and a rank can abort with "terminate called
    without an active exception" after a finished run (pytorch#190489).
    """
    if dist.is_available() and dist.is_initialized():
        dist.barrier()
        dist.destroy_process_group()


def resolve_split(split: str, data_root: Optional[str] = None) -> str:
    """A ``--split`` value: an existing path (absolute, or relative to the
    working directory) becomes absolute; anything else is relative to the data
    root (joined here when ``data_root`` is given, else by the dataset)."""
    if osp.isfile(split):
        return osp.abspath(split)
    return osp.join(data_root, split) if data_root else split
