"""The WSSS pipeline as small resumable stages (IRN's ``run_sample.py`` shape).

Each stage is a function ``stage(ctx) -> dict`` whose result is written to
``WORK_DIR/stages/<name>.json`` when it finishes; a rerun skips every stage
whose file exists, so a killed pipeline resumes where it stopped.
"""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Callable, Dict, List, Optional, Tuple

from mmengine.config import Config

from wsss_mm.utils.io import atomic_path

from .eval_cams import eval_cams
from .infer_cams import infer_cams
from .train import build_runner


@dataclass
class PipelineContext:
    """What the stages share.

    Attributes:
        config_path (str): the CAM network config.
        work_dir (str): every stage's output goes below it.
        data_root (str, optional): overrides the config's data root.
        method (str): CAM method of the inference stage.
        cfg_options (dict): ``--cfg-options`` for the config.
        results (dict): results of the stages done so far, by stage name.
    """
    config_path: str
    work_dir: str
    data_root: Optional[str] = None
    method: str = 'CAM'
    cfg_options: dict = field(default_factory=dict)
    results: Dict[str, dict] = field(default_factory=dict)

    def config(self) -> Config:
        """A fresh copy of the config with the options applied."""
        cfg = Config.fromfile(self.config_path)
        cfg.merge_from_dict(self.cfg_options)
        return cfg

    def path(self, *parts: str) -> str:
        return osp.join(self.work_dir, *parts)


def train_cam(ctx: PipelineContext) -> dict:
    """(1) Trains the CAM network; returns its last checkpoint."""
    runner = build_runner(ctx.config(), work_dir=ctx.path('cam'),
                          config_path=ctx.config_path, data_root=ctx.data_root)
    runner.train()
    with open(ctx.path('cam', 'last_checkpoint')) as f:
        return dict(checkpoint=f.read().strip())


def infer_seed_cams(ctx: PipelineContext) -> dict:
    """(2) Multi-scale + flip CAMs of the CAM split, into ``WORK_DIR/cams``."""
    return infer_cams(ctx.config(), ctx.results['train_cam']['checkpoint'], ctx.path('cams'),
                      method=ctx.method, data_root=ctx.data_root,
                      vis_dir=ctx.path('cam_overlays'), num_vis=10)


def eval_seed_cams(ctx: PipelineContext) -> dict:
    """(3) Seed mIoU (background-threshold sweep) and the uniform-map floor."""
    cfg = ctx.config()
    data_root = ctx.data_root or cfg.cam_dataloader.dataset.data_root
    result = eval_cams(ctx.path('cams'), data_root, cfg.cam_dataloader.dataset.ann_file)
    return dict(seed_miou=result['cams']['miou'], seed_threshold=result['cams']['threshold'],
                floor_miou=result['floor']['miou'], class_iou=result['cams']['class_iou'],
                class_names=result['class_names'])


STAGES: List[Tuple[str, Callable[[PipelineContext], dict]]] = [
    ('train_cam', train_cam),
    ('infer_cams', infer_seed_cams),
    ('eval_cams', eval_seed_cams),
]


def run_pipeline(ctx: PipelineContext,
                 stages: List[Tuple[str, Callable[[PipelineContext], dict]]] = STAGES,
                 log: Callable[[str], None] = print) -> Dict[str, dict]:
    """Runs the stages in order, skipping those already done.

    Returns:
        dict: every stage's result, by name.
    """
    os.makedirs(ctx.path('stages'), exist_ok=True)
    for name, stage in stages:
        done = ctx.path('stages', name + '.json')
        if osp.isfile(done):
            with open(done) as f:
                ctx.results[name] = json.load(f)
            log(f'[pipeline] {name}: already done ({done})')
            continue
        log(f'[pipeline] {name}: running')
        ctx.results[name] = stage(ctx)
        with atomic_path(done) as tmp, open(tmp, 'w') as f:
            json.dump(ctx.results[name], f, indent=1)
    return ctx.results
