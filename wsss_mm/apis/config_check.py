"""Checks, before a Runner is built, that the files a config names exist: each
dataloader's data root, split file and image / mask folders, the ``Pretrained``
checkpoints of ``init_cfg`` and ``load_from`` (present, and starting as a checkpoint
does). Every problem is named in one line with its fix, instead of an error deep inside
the Runner after the config has been printed."""

import os.path as osp
from typing import Any, Iterator, List, Sequence, Tuple

from mmengine.config import Config

from .checkpoint import check_checkpoint_file
from .config_utils import iter_datasets

DATA_DOC = 'docs/data_preparation.md'


def _pretrained_paths(node: Any, key: str) -> Iterator[Tuple[str, str]]:
    """``(config key, path)`` of every local ``Pretrained`` checkpoint under ``node``."""
    if isinstance(node, dict):
        if node.get('type') == 'Pretrained' and isinstance(node.get('checkpoint'), str):
            yield f'{key}.checkpoint', node['checkpoint']
        for name, value in node.items():
            yield from _pretrained_paths(value, f'{key}.{name}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from _pretrained_paths(value, f'{key}[{i}]')


def _dataset_problems(loader_key: str, dataset: dict) -> List[str]:
    """The missing data root, split file and data folders of one dataset."""
    root = dataset.get('data_root')
    if isinstance(root, str) and root and not osp.isdir(root):
        return [
            f'{loader_key}: data root not found: {root} (pass --data-root DIR, or make the '
            f'data as {DATA_DOC} says; tools/make_synthetic_voc.py writes a small set)'
        ]
    problems = []
    split = dataset.get('ann_file')
    if isinstance(split, str) and split:
        path = split if osp.isabs(split) or not root else osp.join(root, split)
        if not osp.isfile(path):
            hint = (
                'VOC train + SBD, made as docs/data_preparation.md says'
                if osp.basename(split) == 'train_aug.txt'
                else f'see {DATA_DOC}'
            )
            problems.append(
                f'{loader_key}: split file not found: {path} ({hint}; or choose another with '
                f'--cfg-options {loader_key}.dataset.ann_file=PATH)'
            )
    prefix = dataset.get('data_prefix')
    for name, folder in prefix.items() if isinstance(prefix, dict) else []:
        if not isinstance(folder, str) or not folder:
            continue
        path = folder if osp.isabs(folder) or not root else osp.join(root, folder)
        if not osp.isdir(path):
            problems.append(f'{loader_key}: {name} folder not found: {path} (see {DATA_DOC})')
    return problems


def _not_a_checkpoint(path: str, key: str) -> List[str]:
    """``[problem]`` when ``path`` does not start as a torch.save file, else []."""
    try:
        check_checkpoint_file(path, f'{key}:')
    except ValueError as e:
        return [str(e)]
    return []


def check_config_files(cfg: Config, loaders: Sequence[str]) -> None:
    """Checks the input files of ``cfg`` that a run of ``loaders`` reads.

    Args:
        cfg (Config): the config, after ``--data-root`` / ``--cfg-options``.
        loaders (Sequence[str]): the dataloader keys the run builds, e.g.
            ``('train_dataloader', 'val_dataloader')``; absent ones are skipped.

    Raises:
        FileNotFoundError: one line naming every missing file or folder (and
            every checkpoint that is not one) with the option that fixes it.
    """
    problems = []
    for key in loaders:
        loader = cfg.get(key)
        if not loader or not isinstance(loader, dict):
            continue
        for dataset in iter_datasets(loader.get('dataset')):
            for problem in _dataset_problems(key, dataset):
                if problem not in problems:
                    problems.append(problem)
    for key, path in _pretrained_paths(cfg.get('model'), 'model'):
        if '://' in path:
            continue
        if osp.isfile(path):
            problems += _not_a_checkpoint(path, key)
        else:
            problems.append(
                f'{key}: pretrained weights not found: {path} (put them there, see README.md '
                f'"Running on real PASCAL VOC 2012"; or --cfg-options {key}=PATH, or '
                f'{key.rsplit(".", 1)[0]}=None to start from random weights)'
            )
    load_from = cfg.get('load_from')
    if isinstance(load_from, str) and '://' not in load_from:
        if osp.isfile(load_from):
            problems += _not_a_checkpoint(load_from, 'load_from')
        else:
            problems.append(
                f'load_from: checkpoint not found: {load_from} (train the stage it comes '
                'from first, or --cfg-options load_from=PATH)'
            )
    if problems:
        raise FileNotFoundError('; '.join(problems))
