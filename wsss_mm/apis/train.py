"""Stage (1) / (5): build an MMEngine Runner from a config and train or test."""

import os.path as osp
import time
from typing import List, Optional

from mmengine.config import Config
from mmengine.logging import print_log
from mmengine.registry import DefaultScope
from mmengine.runner import Runner

from wsss_mm.registry import MODELS
from wsss_mm.utils.setup_env import register_all_modules

from .checkpoint import check_state_fits, read_checkpoint, state_dict_of
from .config_check import check_config_files
from .config_utils import override_data_root, setup_cpu_distributed
from .schedule import max_epochs_option, set_max_epochs


def load_config(path: str, cfg_options: Optional[dict] = None) -> Config:
    """Reads a config file, with a clear error when it is missing, and merges
    ``cfg_options``. Options that set ``train_cfg.max_epochs`` first fit the
    schedule to the new length (:func:`set_max_epochs`: schedulers' ``end``,
    ``T_max``, milestones, the checkpoint and validation intervals); options
    that set those keys themselves win."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'config file not found: {path}')
    cfg = Config.fromfile(path)
    if cfg_options:
        epochs = max_epochs_option(cfg_options)
        if epochs is not None:
            set_max_epochs(cfg, epochs)
        cfg.merge_from_dict(cfg_options)
    return cfg


def use_amp(cfg: Config) -> None:
    """``--amp``: mixed precision through ``AmpOptimWrapper`` (MMSegmentation's rule).

    A config that already asks for ``AmpOptimWrapper`` is left as it is.

    Raises:
        ValueError: the config's optim wrapper is neither ``OptimWrapper`` nor
            ``AmpOptimWrapper`` (e.g. an ``OptimWrapperDict`` of two models,
            whose members set their own type).
    """
    if cfg.optim_wrapper.get('constructor') == 'MultiOptimWrapperConstructor':
        raise ValueError(
            '--amp: the config has one optim wrapper per network '
            '(MultiOptimWrapperConstructor); set type="AmpOptimWrapper" in each entry of '
            'optim_wrapper instead'
        )
    kind = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if kind == 'AmpOptimWrapper':
        print_log('--amp: the config already uses AmpOptimWrapper', logger='current')
        return
    if kind != 'OptimWrapper':
        raise ValueError(
            f'--amp needs optim_wrapper.type "OptimWrapper" (or '
            f'"AmpOptimWrapper"), got "{kind}": set the type of each optim '
            'wrapper in the config instead'
        )
    cfg.optim_wrapper.type = 'AmpOptimWrapper'
    cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')


def use_visualization_hook(
    cfg: Config, show: bool = False, show_dir: Optional[str] = None, wait_time: float = 2.0
) -> None:
    """``--show`` / ``--show-dir``: turns on the config's ``visualization``
    hook (MMSegmentation's ``SegVisualizationHook``).

    Raises:
        KeyError: the config has no ``default_hooks.visualization``.
    """
    hook = cfg.default_hooks.get('visualization')
    if hook is None:
        raise KeyError(
            '--show / --show-dir need a visualization hook in the config: '
            "default_hooks.visualization=dict(type='mmseg.SegVisualizationHook')"
        )
    hook['draw'] = True
    if show:
        hook['show'] = True
        hook['wait_time'] = wait_time
    if show_dir:
        cfg.visualizer['save_dir'] = show_dir


def use_seed_evaluation(cfg: Config) -> None:
    """``tools/test.py --seed-miou``: tests a CAM network config's seeds with its
    validation setup: ``test_dataloader`` / ``test_evaluator`` become
    ``val_dataloader`` / ``val_evaluator`` (e.g. ``SeedMIoUMetric``) and
    ``test_cfg`` its ``val_cfg`` as a ``CAMTestLoop`` (same method, scales and flip).

    Raises:
        KeyError: the config has no ``val_cfg`` of type ``CAMValLoop`` with a
            ``val_dataloader`` and a ``val_evaluator``.
    """
    val_cfg = cfg.get('val_cfg') or {}
    if (
        val_cfg.get('type') != 'CAMValLoop'
        or not cfg.get('val_dataloader')
        or not cfg.get('val_evaluator')
    ):
        raise KeyError(
            "--seed-miou needs val_cfg=dict(type='CAMValLoop'), a val_dataloader "
            "(images with masks: LoadMask) and a val_evaluator (SeedMIoUMetric) in "
            'the config, as configs/quickstart/cam_synthvoc.py has'
        )
    cfg.test_dataloader = cfg.val_dataloader
    cfg.test_evaluator = cfg.val_evaluator
    cfg.test_cfg = dict(val_cfg, type='CAMTestLoop')


#: The second (``int(time.time())``) in which this process last built a Runner.
_last_build_second: List[int] = [0]


def wait_for_new_second() -> None:
    """MMEngine names a Runner's logger, visualizer and log folder after the
    second it is built in, so two Runners built in one second (a pipeline's
    quick training then test) would share them and the second would log into
    the first's file; this waits, at most a second, until the clock has moved on."""
    if int(time.time()) == _last_build_second[0]:
        time.sleep(_last_build_second[0] + 1 - time.time())
    _last_build_second[0] = int(time.time())


def build_runner(
    cfg: Config,
    work_dir: Optional[str] = None,
    config_path: Optional[str] = None,
    data_root: Optional[str] = None,
    launcher: str = 'none',
    resume: Optional[str] = None,
    amp: bool = False,
) -> Runner:
    """Prepares ``cfg`` the way ``tools/train.py`` does and builds its Runner,
    after checking the files it reads (:func:`check_config_files`: the training
    and validation data, or the test data of a config without ``train_cfg``;
    the pretrained weights) and that a ``resume`` checkpoint fits the network
    (:func:`check_checkpoint_fits`).

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
        use_amp(cfg)
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif resume is not None:
        check_checkpoint_fits(cfg, resume, '--resume: checkpoint')
        cfg.resume, cfg.load_from = True, resume
    training = bool(cfg.get('train_cfg'))
    check_config_files(
        cfg, ('train_dataloader', 'val_dataloader') if training else ('test_dataloader',)
    )
    setup_cpu_distributed(cfg, launcher)
    wait_for_new_second()
    if 'runner_type' in cfg:
        from mmengine.registry import RUNNERS

        return RUNNERS.build(cfg)
    return Runner.from_cfg(cfg)


def check_checkpoint_fits(cfg: Config, path: str, what: str = 'checkpoint') -> None:
    """Checks, before a Runner is built (and prints the config), that checkpoint
    ``path`` holds exactly the keys and shapes of ``cfg.model`` (MMEngine loads
    test and resume checkpoints non-strictly: a checkpoint of another network
    would run with random weights). The network is built without its
    ``init_cfg`` weights.

    Raises:
        FileNotFoundError, ValueError: one line naming the file and what
            differs (:func:`wsss_mm.apis.checkpoint.check_state_fits`).
    """
    checkpoint = read_checkpoint(path, what)
    register_all_modules(init_default_scope=False)
    with DefaultScope.overwrite_default_scope(cfg.get('default_scope', 'wsss_mm')):
        model = MODELS.build(cfg.model)
    check_state_fits(model, state_dict_of(checkpoint), path, checkpoint)
