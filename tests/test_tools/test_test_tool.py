"""tools/test.py: ``--seed-miou`` (the CAM test loop) reports the seed mIoU of
tools/infer_cams.py + tools/eval_cams.py; training validates the seeds once, at the end;
``--tta --show-dir`` on DeepLab."""

import glob
import json
import os.path as osp
import re

import pytest
import torch

from wsss_mm.apis.train import load_config
from wsss_mm.registry import MODELS


def logged_metric(text: str, key: str) -> float:
    """The last ``KEY: value`` MMEngine logged."""
    return float(re.findall(rf'{key}: (-?[\d.]+)', text)[-1])


@pytest.mark.slow
def test_test_tool_seed_miou_equals_infer_and_eval_cams(
    synth_root, tmp_path, run_tool, quickstart_config
):
    """tools/test.py --seed-miou on an untrained quickstart network reports the
    seed mIoU of tools/infer_cams.py + tools/eval_cams.py."""
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'cam.pth')
    torch.save(
        dict(state_dict=MODELS.build(load_config(quickstart_config).model).state_dict()), ckpt
    )
    proc = run_tool(
        'tools/test.py',
        quickstart_config,
        ckpt,
        '--seed-miou',
        '--data-root',
        synth_root,
        '--work-dir',
        str(tmp_path / 'work'),
        '--cfg-options',
        'val_dataloader.num_workers=0',
    )
    log = proc.stdout + proc.stderr
    assert 'seed_mIoU' in log and 'floor_mIoU' in log and 'Epoch(test)' in log
    run_tool(
        'tools/infer_cams.py',
        quickstart_config,
        ckpt,
        '--out-dir',
        str(tmp_path / 'cams'),
        '--data-root',
        synth_root,
        '--cfg-options',
        'cam_dataloader.num_workers=0',
    )
    evaluated = run_tool(
        'tools/eval_cams.py', '--cam-dir', str(tmp_path / 'cams'), '--data-root', synth_root
    )
    summary = json.loads(evaluated.stdout.strip().splitlines()[-1])
    assert round(logged_metric(log, 'seed_mIoU'), 2) == pytest.approx(summary['miou'], abs=0.011)
    assert logged_metric(log, 'seed_threshold') == pytest.approx(summary['threshold'])
    assert round(logged_metric(log, 'floor_mIoU'), 2) == pytest.approx(
        summary['floor_miou'], abs=0.011
    )
    proc = run_tool('tools/test.py', quickstart_config, ckpt, '--seed-miou', '--tta', check=False)
    assert proc.returncode == 2 and '--seed-miou' in proc.stderr


@pytest.mark.slow
def test_training_validates_the_seeds_once_at_the_end(trained_cam):
    _, _, work_dir = trained_cam
    logs = glob.glob(osp.join(work_dir, '*', '*.log'))
    assert any('Epoch(val)' in open(p).read() and 'seed_mIoU' in open(p).read() for p in logs)


@pytest.mark.slow
def test_test_tool_tta_show_dir_on_deeplab(synth_root, tmp_path, run_tool, repo_root):
    deeplab = osp.join(repo_root, 'configs', 'quickstart', 'deeplab_synthvoc.py')
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'deeplab.pth')
    torch.save(dict(state_dict=MODELS.build(load_config(deeplab).model).state_dict()), ckpt)
    work_dir = tmp_path / 'work'
    proc = run_tool(
        'tools/test.py',
        deeplab,
        ckpt,
        '--tta',
        '--show-dir',
        'vis',
        '--data-root',
        synth_root,
        '--work-dir',
        str(work_dir),
        '--cfg-options',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    )
    assert 'mIoU' in proc.stdout + proc.stderr
    drawn = glob.glob(str(work_dir / 'vis' / '**' / '*.png'), recursive=True)
    assert len(drawn) == 8  # every val image of the tiny set
