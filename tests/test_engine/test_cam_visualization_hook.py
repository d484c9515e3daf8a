"""CAMVisualizationHook: overlays of fixed val images handed to the visualizer while a
CAM network trains (a 2-epoch quickstart training through tools/train.py)."""

import glob
import os.path as osp

import cv2
import pytest

from wsss_mm.engine.hooks import CAMVisualizationHook
from wsss_mm.registry import HOOKS


def test_hook_is_registered_and_checks_its_arguments():
    hook = HOOKS.build(dict(type='CAMVisualizationHook', interval=3, num_images=2))
    assert isinstance(hook, CAMVisualizationHook) and hook.interval == 3
    with pytest.raises(ValueError, match='interval'):
        CAMVisualizationHook(interval=0)


def test_hook_writes_overlays_during_a_quickstart_training(
    synth_root, tmp_path, run_tool, quickstart_config, tiny_train_options
):
    config = tmp_path / 'cam_vis.py'
    config.write_text(
        f'_base_ = [{quickstart_config!r}]\n'
        'custom_hooks = [\n'
        "    dict(type='FiniteLossHook'),\n"
        "    dict(type='CAMVisualizationHook', interval=2, num_images=2),\n"
        ']\n'
    )
    work_dir = str(tmp_path / 'work')
    run_tool(
        'tools/train.py',
        str(config),
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *tiny_train_options,
        'train_cfg.max_epochs=2',
        'val_dataloader.num_workers=0',
    )
    # 24 images, batch 8: 6 iterations, drawn after iterations 2, 4 and 6
    files = sorted(glob.glob(osp.join(work_dir, '*', 'vis_data', 'vis_image', 'cam_*.png')))
    steps = sorted({int(osp.splitext(f)[0].rsplit('_', 1)[1]) for f in files})
    assert steps == [2, 4, 6]
    assert len(files) == 2 * 3
    for path in files:
        img = cv2.imread(path)
        assert img is not None and img.ndim == 3 and img.shape[0] > 64
        assert img.std() > 10  # not a blank canvas
