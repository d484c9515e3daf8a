"""Changing a config's number of training epochs consistently: the training
loop, the epoch-based learning-rate / momentum schedulers, and the checkpoint and
validation intervals that were set to the whole run."""

from typing import Iterator, Mapping, Optional

from mmengine.config import Config

MAX_EPOCHS_KEY = 'train_cfg.max_epochs'


def max_epochs_option(cfg_options: Optional[Mapping]) -> Optional[int]:
    """The ``train_cfg.max_epochs`` that ``--cfg-options`` (flat keys) or an
    options dict (nested, e.g. a pipeline's ``seg_options``) sets, else None."""
    if not cfg_options:
        return None
    if MAX_EPOCHS_KEY in cfg_options:
        return cfg_options[MAX_EPOCHS_KEY]
    train_cfg = cfg_options.get('train_cfg')
    if isinstance(train_cfg, Mapping):
        return train_cfg.get('max_epochs')
    return None


def _schedulers(node) -> Iterator[dict]:
    """Every scheduler dict of ``param_scheduler`` (a dict, a list, or a dict
    of lists per optimizer)."""
    if isinstance(node, dict) and 'type' in node:
        yield node
    elif isinstance(node, dict):
        for value in node.values():
            yield from _schedulers(value)
    elif isinstance(node, (list, tuple)):
        for value in node:
            yield from _schedulers(value)


def set_max_epochs(cfg: Config, epochs: int) -> None:
    """Trains ``cfg`` for ``epochs`` epochs with its schedule compressed or
    stretched to fit, as a shorter or longer run of the same recipe:

    - ``train_cfg.max_epochs`` (and the config's ``max_epochs`` variable);
    - each epoch-based scheduler that ran to the end of training
      (``end`` >= the old number) ends at ``epochs``; a shorter one (e.g. a
      warm-up) keeps its ``end``, cut at ``epochs``; ``T_max`` likewise;
      ``milestones`` and ``step_size`` scale by ``epochs / old`` (at least 1);
    - ``default_hooks.checkpoint.interval`` and ``train_cfg.val_interval``
      equal to the old number (once, at the end) follow it.

    Iteration-based schedulers (``by_epoch=False``) are left alone.

    Raises:
        ValueError: ``epochs`` < 1, or the config trains by iterations
            (``train_cfg.max_iters``).
    """
    if not isinstance(epochs, int) or isinstance(epochs, bool) or epochs < 1:
        raise ValueError(f'{MAX_EPOCHS_KEY} must be an integer >= 1, got {epochs!r}')
    train_cfg = cfg.get('train_cfg') or {}
    old = train_cfg.get('max_epochs')
    if old is None:
        raise ValueError(
            f'{MAX_EPOCHS_KEY}: this config trains by iterations (train_cfg.max_iters), '
            'not epochs; set train_cfg.max_iters and the schedulers\' end instead'
        )
    if old == epochs:
        return
    train_cfg['max_epochs'] = epochs
    if cfg.get('max_epochs') == old:
        cfg.max_epochs = epochs
    if train_cfg.get('val_interval') == old:
        train_cfg['val_interval'] = epochs
    checkpoint = (cfg.get('default_hooks') or {}).get('checkpoint') or {}
    if checkpoint.get('interval') == old and checkpoint.get('by_epoch', True):
        checkpoint['interval'] = epochs

    def scaled(value: int) -> int:
        return max(1, round(value * epochs / old))

    for scheduler in _schedulers(cfg.get('param_scheduler')):
        if not scheduler.get('by_epoch', True):
            continue
        begin = scheduler.get('begin', 0)
        if 'end' in scheduler:
            end = scheduler['end']
            scheduler['end'] = epochs if end >= old else min(end, epochs)
        if 'T_max' in scheduler and scheduler['T_max'] >= old - begin:
            scheduler['T_max'] = max(1, epochs - begin)
        if 'milestones' in scheduler:
            scheduler['milestones'] = [scaled(m) for m in scheduler['milestones']]
        if 'step_size' in scheduler:
            scheduler['step_size'] = scaled(scheduler['step_size'])
