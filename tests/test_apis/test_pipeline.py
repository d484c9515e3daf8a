"""The pipeline's stages (wsss_mm.apis.pipeline): the refinement stages need the
config's pipeline section; without pydensecrf2 the pipeline runs without the CRF; the
seeds can be the CAM files the CAM network's training wrote."""

import os.path as osp

import pytest

from wsss_mm.apis import pipeline
from wsss_mm.apis.pipeline import PipelineContext


def test_refinement_stages_need_a_pipeline_section(tmp_path, quickstart_config):
    ctx = PipelineContext(quickstart_config, str(tmp_path))
    with pytest.raises(KeyError, match='pipeline.affinity_config'):
        ctx.sub_config('affinity')


def test_without_pydensecrf2_the_pipeline_runs_without_crf(monkeypatch, tmp_path, repo_root):
    monkeypatch.setattr(pipeline, 'crf_available', lambda: False)
    ctx = PipelineContext(
        osp.join(repo_root, 'configs', 'quickstart', 'pipeline_synthvoc.py'), str(tmp_path)
    )
    assert pipeline.eval_seed_crf(ctx)['crf_miou'] is None
    with pytest.warns(UserWarning, match='pip install pydensecrf2'):
        cfg = pipeline.refinement_config(ctx)
    assert not cfg.affinity_labels.crf and not cfg.pseudo_labels.crf


def test_seeds_from_the_cam_networks_training(tmp_path, repo_root, synth_root, write_gt_cams):
    """pipeline.cams_from_training: the CAM files the training wrote (Group-WSSS's
    authors' maps) are the seeds, copied to WORK_DIR/cams instead of inferred."""
    config = osp.join(repo_root, 'configs', 'quickstart', 'group_synthvoc_authors.py')
    ctx = PipelineContext(config, str(tmp_path), data_root=synth_root)
    _, _, ids = ctx.cam_split()
    source = tmp_path / 'cam' / 'group_cams'
    write_gt_cams(synth_root, str(source), ids[1:])
    with pytest.raises(FileNotFoundError, match=f'1 images of the CAM split.*{ids[0]}.npz'):
        pipeline.infer_seed_cams(ctx)
    write_gt_cams(synth_root, str(source), ids[:1])
    assert pipeline.infer_seed_cams(ctx)['done'] == len(ids)
    for img_id in ids:
        copied = tmp_path / 'cams' / f'{img_id}.npz'
        assert copied.read_bytes() == (source / f'{img_id}.npz').read_bytes()
