"""One optim wrapper per sub-module: the two networks of P-NOC."""

from typing import Optional

import torch.nn as nn
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict

from wsss_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class MultiOptimWrapperConstructor:
    """Builds an :class:`~mmengine.optim.OptimWrapperDict` with one optim
    wrapper per named child of the model, as MMagic does for GANs. Each entry
    is an ordinary optim wrapper config, with its own ``paramwise_cfg`` and
    optionally its own ``constructor``::

        optim_wrapper = dict(
            constructor='MultiOptimWrapperConstructor',
            generator=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1),
                           paramwise_cfg=dict(custom_keys={'head': dict(lr_mult=10.0)})),
            ordinary_classifier=dict(type='OptimWrapper', optimizer=dict(type='SGD', lr=0.1)))

    The model's ``train_step`` receives the dict and picks each wrapper by
    name; a parameter scheduler config is then a dict with the same keys.

    Args:
        optim_wrapper_cfg (dict): optim wrapper configs keyed by child name.
        paramwise_cfg (None): must be None (set it inside each entry).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        if paramwise_cfg is not None:
            raise ValueError(
                'MultiOptimWrapperConstructor: set paramwise_cfg inside each optim wrapper '
                f'({sorted(optim_wrapper_cfg)}), not next to them'
            )
        if not optim_wrapper_cfg or not all(
            isinstance(v, dict) for v in optim_wrapper_cfg.values()
        ):
            raise ValueError(
                'MultiOptimWrapperConstructor: optim_wrapper needs one optim wrapper config '
                f'(a dict) per sub-module, got {dict(optim_wrapper_cfg)}'
            )
        self.constructors = {}
        for name, cfg in optim_wrapper_cfg.items():
            cfg = dict(cfg)
            constructor = cfg.pop('constructor', 'DefaultOptimWrapperConstructor')
            self.constructors[name] = OPTIM_WRAPPER_CONSTRUCTORS.build(
                dict(
                    type=constructor,
                    optim_wrapper_cfg=cfg,
                    paramwise_cfg=cfg.pop('paramwise_cfg', None),
                )
            )

    def __call__(self, model: nn.Module) -> OptimWrapperDict:
        if is_model_wrapper(model):
            model = model.module
        wrappers = {}
        for name, constructor in self.constructors.items():
            child = getattr(model, name, None)
            if not isinstance(child, nn.Module):
                raise KeyError(
                    f'MultiOptimWrapperConstructor: {type(model).__name__} has no sub-module '
                    f'"{name}" (children: {[n for n, _ in model.named_children()]})'
                )
            wrappers[name] = constructor(child.module if is_model_wrapper(child) else child)
        return OptimWrapperDict(**wrappers)
