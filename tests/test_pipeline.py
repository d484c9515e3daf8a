"""tools/run_pipeline.py end to end on the tiny set; a rerun skips every stage."""
import json
import os
import os.path as osp

import pytest

from conftest import QUICKSTART, ROOT, run_tool
from wsss_mm.apis.pipeline import PipelineContext
from wsss_mm.refine import crf_available

PIPELINE = osp.join(ROOT, 'configs', 'quickstart', 'pipeline_synthvoc.py')
# one epoch per training stage, single-scale CAMs, no worker processes
TINY = [
    'train_dataloader.batch_size=8', 'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False', 'train_cfg.max_epochs=1',
    'cam_dataloader.num_workers=0', 'cam_infer.scales=(1.0,)'
] + [
    f'pipeline.{kind}_options.{key}' for kind in ('affinity', 'seg')
    for key in ('train_cfg.max_epochs=1', 'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False')
] + ['pipeline.seg_options.val_dataloader.num_workers=0',
     'pipeline.seg_options.val_dataloader.persistent_workers=False']
STAGES = ['train_cam', 'infer_cams', 'eval_cams', 'eval_crf', 'affinity_labels',
          'train_affinity', 'pseudo_masks', 'train_seg', 'test_seg']


@pytest.mark.slow
def test_pipeline_runs_then_skips_every_stage(synth_root, tmp_path):
    work_dir = str(tmp_path / 'work')
    args = ['tools/run_pipeline.py', PIPELINE, '--data-root', synth_root, '--work-dir',
            work_dir, '--cfg-options', *TINY]
    first = run_tool(*args)
    numbers = json.loads(first.stdout.strip().splitlines()[-1])
    assert set(numbers) == {'seed_miou', 'crf_miou', 'pseudo_miou', 'val_miou', 'floor_miou'}
    for key in ('seed_miou', 'pseudo_miou', 'val_miou', 'floor_miou'):
        assert 0 <= numbers[key] <= 100
    assert (numbers['crf_miou'] is None) == (not crf_available())
    assert 'pseudo masks (random walk' in first.stdout
    assert 'segmentation val (multi-scale + flip)' in first.stdout
    masks = os.listdir(osp.join(work_dir, 'pseudo_masks'))
    assert len(masks) == 24 and 'synth_000000.png' in masks

    second = run_tool(*args)
    for stage in STAGES:
        done = f'[pipeline] {stage}: already done' in second.stdout
        unavailable = stage == 'eval_crf' and not crf_available()
        assert done or unavailable, stage
    assert 'running' not in second.stdout.replace('eval_crf: running', '')
    assert json.loads(second.stdout.strip().splitlines()[-1]) == numbers


def test_pipeline_rejects_an_unknown_method_before_any_stage(synth_root, tmp_path):
    work_dir = tmp_path / 'work'
    proc = run_tool('tools/run_pipeline.py', PIPELINE, '--data-root', synth_root,
                    '--work-dir', str(work_dir), '--method', 'NoSuchCAM', check=False)
    assert proc.returncode == 2 and 'unknown CAM method "NoSuchCAM"' in proc.stderr
    assert not work_dir.exists()


def test_refinement_stages_need_a_pipeline_section(tmp_path):
    ctx = PipelineContext(QUICKSTART, str(tmp_path))
    with pytest.raises(KeyError, match='pipeline.affinity_config'):
        ctx.sub_config('affinity')


def test_without_pydensecrf2_the_pipeline_runs_without_crf(monkeypatch, tmp_path):
    from wsss_mm.apis import pipeline
    monkeypatch.setattr(pipeline, 'crf_available', lambda: False)
    ctx = PipelineContext(PIPELINE, str(tmp_path))
    assert pipeline.eval_seed_crf(ctx)['crf_miou'] is None
    with pytest.warns(UserWarning, match='pip install pydensecrf2'):
        cfg = pipeline.refinement_config(ctx)
    assert not cfg.affinity_labels.crf and not cfg.pseudo_labels.crf
