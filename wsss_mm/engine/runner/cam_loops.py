"""Validation and test loops that evaluate a CAM network's seeds: each batch goes
through the network wrapped in :class:`~wsss_mm.cams.CAMInferenceModel`."""

from typing import Dict, List, Optional, Sequence, Union

import torch
from mmengine.evaluator import Evaluator
from mmengine.model import is_model_wrapper
from mmengine.runner import TestLoop, ValLoop
from mmengine.runner.amp import autocast
from torch.utils.data import DataLoader

from wsss_mm.cams.inference_model import CAMInferenceModel
from wsss_mm.registry import LOOPS


def cam_inference_model(
    runner,
    method: str = 'CAM',
    scales: Optional[Sequence[float]] = None,
    flip: Optional[bool] = None,
) -> CAMInferenceModel:
    """The runner's CAM network wrapped for CAM inference with the config's settings.

    As ``tools/infer_cams.py --method METHOD``: the method's options come from
    ``cfg.cam_methods[METHOD]``, the scales, flip and geometry from
    ``cfg.cam_infer`` (default (1.0, 0.5, 1.5, 2.0), True and ``'bilinear'``)
    unless given.

    Args:
        runner (Runner): its ``model`` (unwrapped from DDP) is the CAM network.
        method (str): a registered CAM method. Default: ``'CAM'``.
        scales (Sequence[float], optional): replace ``cfg.cam_infer.scales``.
        flip (bool, optional): replaces ``cfg.cam_infer.flip``.

    Returns:
        CAMInferenceModel: around the runner's network (sharing its weights).
    """
    model = runner.model.module if is_model_wrapper(runner.model) else runner.model
    cfg = runner.cfg
    infer = dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True, geometry='bilinear')
    infer.update(cfg.get('cam_infer') or {})
    options = dict((cfg.get('cam_methods') or {}).get(method, {}))
    return CAMInferenceModel(
        model,
        method=dict(type=method, **options),
        scales=tuple(infer['scales'] if scales is None else scales),
        flip=infer['flip'] if flip is None else flip,
        geometry=infer['geometry'],
    )


class CAMLoopMixin:
    """What :class:`CAMValLoop` and :class:`CAMTestLoop` share: the network is
    wrapped in :class:`~wsss_mm.cams.CAMInferenceModel` when the loop starts
    (so it carries the weights of that moment), and each batch goes through
    the wrapper's ``val_step`` / ``test_step``.

    Args:
        runner (Runner): the runner.
        dataloader (DataLoader | dict): images at their original size with
            their masks (``LoadMask``) and labels, batch 1.
        evaluator (Evaluator | dict | list): e.g. ``dict(type='SeedMIoUMetric')``.
        method (str): a registered CAM method, with options from
            ``cfg.cam_methods``. Default: ``'CAM'``.
        scales (Sequence[float], optional): default ``cfg.cam_infer.scales``.
        flip (bool, optional): default ``cfg.cam_infer.flip``.
        fp16 (bool): autocast. Default: False.
    """

    #: ``'val'`` or ``'test'``: the hooks called and the wrapper's step.
    stage = ''

    def __init__(
        self,
        runner,
        dataloader: Union[DataLoader, Dict],
        evaluator: Union[Evaluator, Dict, List],
        method: str = 'CAM',
        scales: Optional[Sequence[float]] = None,
        flip: Optional[bool] = None,
        fp16: bool = False,
    ) -> None:
        super().__init__(runner, dataloader, evaluator, fp16)
        self.cam_options = dict(method=method, scales=scales, flip=flip)

    def run(self) -> dict:
        """Wraps the network (as it is now), then runs the loop."""
        self.cam_model = cam_inference_model(self.runner, **self.cam_options)
        return super().run()

    @torch.no_grad()
    def run_iter(self, idx: int, data_batch: dict) -> None:
        """One batch through the wrapped network and the evaluator."""
        self.runner.call_hook(f'before_{self.stage}_iter', batch_idx=idx, data_batch=data_batch)
        with autocast(enabled=self.fp16):
            outputs = getattr(self.cam_model, f'{self.stage}_step')(data_batch)
        self.evaluator.process(data_samples=outputs, data_batch=data_batch)
        self.runner.call_hook(
            f'after_{self.stage}_iter', batch_idx=idx, data_batch=data_batch, outputs=outputs
        )


@LOOPS.register_module()
class CAMValLoop(CAMLoopMixin, ValLoop):
    """``ValLoop`` on the CAMs of the runner's CAM network (``pred_cams`` of
    :class:`~wsss_mm.cams.CAMInferenceModel`), e.g. for ``SeedMIoUMetric``;
    the arguments are :class:`CAMLoopMixin`'s."""

    stage = 'val'


@LOOPS.register_module()
class CAMTestLoop(CAMLoopMixin, TestLoop):
    """``TestLoop`` on the CAMs of the runner's CAM network (``tools/test.py
    CONFIG CKPT --seed-miou`` runs the config's ``val_cfg`` as this loop); the
    arguments are :class:`CAMLoopMixin`'s."""

    stage = 'test'
