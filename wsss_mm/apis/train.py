"""Stage (1) / (5): build an MMEngine Runner from a config and train or test."""
import os.path as osp
from typing import Optional

from mmengine.config import Config
from mmengine.runner import Runner

from wsss_mm.utils.setup_env import register_all_modules

from .config_utils import override_data_root, setup_cpu_distributed


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Reads a config file, with a clear error when it is missing."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        cfg.merge_from_dict(cfg_options)
    return cfg


def build_runner(cfg: Config,
                 work_dir: Optional[str] = None,
                 config_path: Optional[str] = None,
                 data_root: Optional[str] = None,
                 launcher: str = 'none',
                 resume: Optional[str] = None,
                 amp: bool = False) -> Runner:
    """Prepares ``cfg`` the way ``tools/train.py`` does and builds its Runner.

    Args:
        work_dir (str, optional): defaults to ``cfg.work_dir`` or
            ``work_dirs/<config name>``.
        data_root (str, optional): overrides every dataloader's data root.
        launcher (str): ``none``, ``pytorch``, ``slurm`` or ``mpi``.
        resume (str, optional): ``'auto'`` (latest checkpoint of the work dir)
            or a checkpoint path.
        amp (bool): mixed precision (``AmpOptimWrapper``).
    """
    register_all_modules(init_default_scope=False)
    cfg.launcher = launcher
    if work_dir is not None:
        cfg.work_dir = work_dir
    elif cfg.get('work_dir') is None:
        name = osp.splitext(osp.basename(config_path or 'config'))[0]
        cfg.work_dir = osp.join('work_dirs', name)
    if data_root is not None:
        override_data_root(cfg, data_root)
    if amp:
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        if not osp.isfile(resume):
            raise FileNotFoundError(f'--resume: checkpoint not found: {resume}')
        cfg.resume, cfg.load_from = True, resume
    setup_cpu_distributed(cfg, launcher)
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS
        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)
