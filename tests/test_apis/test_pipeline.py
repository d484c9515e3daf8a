"""The pipeline's stages (wsss_mm.apis.pipeline): the refinement stages need the
config's pipeline section; without pydensecrf2 the pipeline runs without the CRF."""

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
