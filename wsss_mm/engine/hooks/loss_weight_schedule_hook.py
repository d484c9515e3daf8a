"""Linear ramps of a model's loss coefficients (Puzzle-CAM's λ_re, OC-CSE's
λ_cse, P-NOC's λ_noc)."""

from typing import Optional

from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from wsss_mm.registry import HOOKS

BY = ('iter', 'epoch')


@HOOKS.register_module()
class LossWeightScheduleHook(Hook):
    """Sets a coefficient of the model before every training iteration to
    ``start + (end - start) * min(progress / until, 1)``, where ``progress``
    in [0, 1] is the fraction of training done: ``iter / max_iters``
    (``by='iter'``, the authors' ``linear_schedule``, updated every step) or
    ``epoch / max_epochs`` (``by='epoch'``, constant within an epoch).
    ``until=0`` holds ``end`` from the start. The value is logged with the
    losses (``train/<key>`` in the message hub). Config::

        custom_hooks = [
            dict(type='LossWeightScheduleHook', key='generator.lambda_re',
                 start=0.0, end=4.0, until=0.5),     # Puzzle-CAM: 0 -> 4, first half
            dict(type='LossWeightScheduleHook', key='lambda_cse',
                 start=0.3, end=1.0),                # OC-CSE: 0.3 -> 1
        ]

    Args:
        key (str): attribute path of the coefficient on the model, dotted
            through sub-modules (e.g. ``'generator.lambda_re'``); it must
            exist as a float.
        start (float): value at the start of training.
        end (float): value from ``until`` on.
        by (str): ``'iter'`` or ``'epoch'``. Default: 'iter'.
        until (float): fraction of training at which ``end`` is reached,
            in [0, 1]. Default: 1.0.
    """

    priority = 'NORMAL'

    def __init__(
        self, key: str, start: float, end: float, by: str = 'iter', until: float = 1.0
    ) -> None:
        if by not in BY:
            raise ValueError(f'LossWeightScheduleHook: by must be one of {BY}, got "{by}"')
        if not 0 <= until <= 1:
            raise ValueError(f'LossWeightScheduleHook: until must be in [0, 1], got {until}')
        self.key = key
        self.start = float(start)
        self.end = float(end)
        self.by = by
        self.until = until

    def value(self, progress: float) -> float:
        """The coefficient after a fraction ``progress`` of training."""
        if self.until == 0:
            return self.end
        return self.start + (self.end - self.start) * min(progress / self.until, 1.0)

    def _owner(self, runner) -> tuple:
        """(object holding the attribute, attribute name)."""
        owner = runner.model.module if is_model_wrapper(runner.model) else runner.model
        *path, name = self.key.split('.')
        for part in path:
            owner = getattr(owner, part, None)
            if owner is None:
                break
            if is_model_wrapper(owner):  # a sub-module wrapped on its own (P-NOC's DDPs)
                owner = owner.module
        if owner is None or not isinstance(getattr(owner, name, None), (int, float)):
            raise KeyError(
                f'LossWeightScheduleHook: the model ({type(runner.model).__name__}) has no '
                f'numeric attribute "{self.key}"'
            )
        return owner, name

    def before_train(self, runner) -> None:
        self._owner(runner)  # a wrong key fails before the first iteration

    def before_train_iter(self, runner, batch_idx: int, data_batch: Optional[dict] = None) -> None:
        if self.by == 'iter':
            progress = runner.iter / max(runner.max_iters, 1)
        else:
            progress = runner.epoch / max(runner.max_epochs, 1)
        value = self.value(progress)
        owner, name = self._owner(runner)
        setattr(owner, name, value)
        runner.message_hub.update_scalar(f'train/{self.key}', value)
