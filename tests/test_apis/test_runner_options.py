"""The command-line switches of tools/train.py and tools/test.py that rewrite a config:
--amp, --show / --show-dir, --seed-miou."""

import pytest
from mmengine.config import Config

from wsss_mm.apis.train import load_config, use_amp, use_seed_evaluation, use_visualization_hook


def test_amp_wraps_a_plain_optim_wrapper_and_keeps_an_amp_one():
    cfg = Config(dict(optim_wrapper=dict(type='OptimWrapper', optimizer=dict(type='SGD'))))
    use_amp(cfg)
    assert cfg.optim_wrapper.type == 'AmpOptimWrapper'
    assert cfg.optim_wrapper.loss_scale == 'dynamic'
    cfg = Config(dict(optim_wrapper=dict(type='AmpOptimWrapper', loss_scale=512.0)))
    use_amp(cfg)
    assert cfg.optim_wrapper == dict(type='AmpOptimWrapper', loss_scale=512.0)


def test_amp_refuses_an_optim_wrapper_dict():
    cfg = Config(
        dict(
            optim_wrapper=dict(
                type='OptimWrapperDict',
                generator=dict(type='OptimWrapper'),
                classifier=dict(type='OptimWrapper'),
            )
        )
    )
    with pytest.raises(ValueError, match='"OptimWrapperDict"'):
        use_amp(cfg)


def test_show_dir_turns_the_visualization_hook_on():
    cfg = Config(
        dict(
            default_hooks=dict(visualization=dict(type='mmseg.SegVisualizationHook')),
            visualizer=dict(type='mmseg.SegLocalVisualizer'),
        )
    )
    use_visualization_hook(cfg, show=True, show_dir='vis', wait_time=0.5)
    assert cfg.default_hooks.visualization == dict(
        type='mmseg.SegVisualizationHook', draw=True, show=True, wait_time=0.5
    )
    assert cfg.visualizer.save_dir == 'vis'
    with pytest.raises(KeyError, match='SegVisualizationHook'):
        use_visualization_hook(Config(dict(default_hooks=dict())), show_dir='vis')


def test_seed_evaluation_switches_the_test_to_the_val_setup(quickstart_config):
    cfg = load_config(quickstart_config)
    assert cfg.val_evaluator.type == 'SeedMIoUMetric'
    assert cfg.train_cfg.val_interval == cfg.train_cfg.max_epochs  # once, at the end
    assert cfg.val_dataloader.dataset.ann_file == cfg.cam_dataloader.dataset.ann_file
    use_seed_evaluation(cfg)
    assert cfg.test_dataloader == cfg.val_dataloader
    assert cfg.test_evaluator == dict(type='SeedMIoUMetric')
    assert cfg.test_cfg == dict(type='CAMTestLoop', method='CAM')
    with pytest.raises(KeyError, match='--seed-miou needs'):
        use_seed_evaluation(Config(dict(val_cfg=None, val_dataloader=None)))


def test_runners_are_built_in_different_seconds():
    """MMEngine names a Runner's logger and log folder after the second it is built in."""
    import time

    from wsss_mm.apis.train import wait_for_new_second

    wait_for_new_second()
    first = int(time.time())
    wait_for_new_second()
    assert int(time.time()) > first
