"""The x1 / x2 / x10 / x20 parameter groups of PSA, SEAM and CPN."""

import logging
from typing import List, Optional

import torch.nn as nn
from mmengine.logging import print_log
from mmengine.optim import DefaultOptimWrapperConstructor

from wsss_mm.registry import OPTIM_WRAPPER_CONSTRUCTORS


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class NewLayersOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """Four parameter groups: pretrained vs. new layers, times weights vs. the rest.

    The CAM networks of PSA (Ahn & Kwak, CVPR 2018), SEAM and CPN train the
    pretrained backbone's weights at the base learning rate and its biases at
    2x, the layers trained from scratch at 10x (weights) and 20x (biases), with
    weight decay on weights only. MMEngine's default constructor cannot
    compose a layer's multiplier with the bias multiplier (its ``custom_keys``
    override ``bias_lr_mult``), hence this constructor. Config::

        optim_wrapper = dict(
            optimizer=dict(type='SGD', lr=0.01, momentum=0.9, weight_decay=5e-4),
            constructor='NewLayersOptimWrapperConstructor',
            paramwise_cfg=dict(new_layers=('head', 'pcm', 'prcm'),
                               new_lr_mult=10.0, bias_lr_mult=2.0))

    A parameter's learning rate is ``lr x (new_lr_mult if its module path
    starts with one of new_layers) x (bias_lr_mult unless it is a weight)``;
    weights (parameters with 2 or more dimensions: convolution and linear
    weights) get ``weight_decay``, the others (biases, normalisation
    parameters) none. Frozen parameters (``requires_grad=False``) are left out.

    Args:
        optim_wrapper_cfg (dict): as :class:`DefaultOptimWrapperConstructor`.
        paramwise_cfg (dict): ``new_layers`` (Sequence[str], required: module
            paths such as ``'head'`` or ``'backbone.fc'``), ``new_lr_mult``
            (default 10) and ``bias_lr_mult`` (default 2).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg: Optional[dict] = None) -> None:
        super().__init__(optim_wrapper_cfg, paramwise_cfg)
        unknown = set(self.paramwise_cfg) - {'new_layers', 'new_lr_mult', 'bias_lr_mult'}
        if 'new_layers' not in self.paramwise_cfg or unknown:
            raise ValueError(
                'NewLayersOptimWrapperConstructor: paramwise_cfg takes '
                'new_layers (required), new_lr_mult and bias_lr_mult; got '
                f'{sorted(self.paramwise_cfg)}'
            )

    def add_params(
        self,
        params: List[dict],
        module: nn.Module,
        prefix: str = '',
        is_dcn_module: Optional[int] = None,
    ) -> None:
        """Appends the four groups (those with parameters) of ``module`` to
        ``params``; warns about ``new_layers`` entries that name no trainable
        parameter (e.g. ``'prcm'`` of a CPN built without PRCM)."""
        new_layers = tuple(self.paramwise_cfg['new_layers'])
        new_mult = self.paramwise_cfg.get('new_lr_mult', 10.0)
        bias_mult = self.paramwise_cfg.get('bias_lr_mult', 2.0)
        groups = {}
        used = set()
        for name, param in module.named_parameters(prefix=prefix):
            if not param.requires_grad:
                continue
            layer = next((p for p in new_layers if name.startswith(p + '.')), None)
            used.add(layer)
            is_weight = param.ndim > 1
            key = (layer is not None, is_weight)
            if key not in groups:
                lr_mult = (new_mult if layer is not None else 1.0) * (
                    1.0 if is_weight else bias_mult
                )
                groups[key] = dict(
                    params=[],
                    lr=self.base_lr * lr_mult,
                    weight_decay=(self.base_wd or 0.0) if is_weight else 0.0,
                )
            groups[key]['params'].append(param)
        unused = [p for p in new_layers if p not in used]
        if unused:
            print_log(
                f'new_layers {unused} name no trainable parameter of {type(module).__name__}',
                logger='current',
                level=logging.WARNING,
            )
        for (is_new, is_weight), group in sorted(groups.items()):
            print_log(
                f'param group: {"new" if is_new else "pretrained"} '
                f'{"weights" if is_weight else "biases / norms"}: '
                f'{len(group["params"])} tensors, lr {group["lr"]:g}, '
                f'weight decay {group["weight_decay"]:g}',
                logger='current',
            )
            params.append(group)
