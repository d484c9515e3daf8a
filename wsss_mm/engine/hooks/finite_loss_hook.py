"""Stops training at the first non-finite loss, naming the iteration and losses."""

import math
from typing import Optional

import torch
from mmengine.hooks import Hook

from wsss_mm.registry import HOOKS


@HOOKS.register_module()
class FiniteLossHook(Hook):
    """Raises ``FloatingPointError`` when a logged loss is NaN or infinite.

    Runs before the checkpoint hook, so the last checkpoint on disk stays
    the last good one.
    """

    priority = 'ABOVE_NORMAL'

    def after_train_iter(
        self, runner, batch_idx: int, data_batch=None, outputs: Optional[dict] = None
    ) -> None:
        if not outputs:
            return
        bad = {}
        for name, value in outputs.items():
            value = value.item() if isinstance(value, torch.Tensor) else value
            if isinstance(value, float) and not math.isfinite(value):
                bad[name] = value
        if bad:
            raise FloatingPointError(
                f'non-finite loss at iteration {runner.iter + 1} (epoch '
                f'{runner.epoch + 1}): {bad}; training stopped. Lower the learning '
                'rate, check the data, or resume from the last checkpoint.'
            )
