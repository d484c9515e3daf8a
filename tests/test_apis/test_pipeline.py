"""The pipeline's stages (wsss_mm.apis.pipeline): the refinement stages need the
config's pipeline section; without pydensecrf2 the pipeline runs without the CRF; the
seeds can be the CAM files the CAM network's training wrote."""

import os
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


def test_a_work_dir_of_another_recipe_is_refused_unless_overwrite(tmp_path, quickstart_config):
    """The work dir records the resolved config, method, data root: a rerun with a
    setting that changes the outputs is refused naming it; worker counts are not part
    of the recipe; ``overwrite`` forgets the stage records and runs every stage again."""
    runs = []
    stages = [('count', lambda ctx: runs.append(ctx.method) or {})]
    work_dir = str(tmp_path / 'work')

    def run(cfg_options=None, **options):
        ctx = PipelineContext(quickstart_config, work_dir, cfg_options=cfg_options or {}, **options)
        return pipeline.run_pipeline(ctx, stages, log=lambda line: None)

    run()
    run({'cam_dataloader.num_workers': 0, 'train_dataloader.persistent_workers': False})
    assert runs == ['CAM']
    with pytest.raises(
        ValueError,
        match=r"work was made by another recipe \(.recipe.json\): method: 'CAM' -> 'GradCAM'; "
        r'settings.cam.cam_infer.scales: \[1.0, 0.5, 1.5\] -> \[1.0\]. '
        r'Rerun with --overwrite to redo it, or choose a new --work-dir',
    ):
        run({'cam_infer.scales': (1.0,)}, method='GradCAM')
    assert runs == ['CAM'] and osp.isfile(osp.join(work_dir, 'stages', 'count.json'))
    run({'cam_infer.scales': (1.0,)}, method='GradCAM', overwrite=True)
    run({'cam_infer.scales': (1.0,)}, method='GradCAM')
    assert runs == ['CAM', 'GradCAM']


def test_stages_taken_over_from_another_run(tmp_path, quickstart_config):
    """``take_over``: the other run's finished stages are recorded here with
    ``reused_from`` once the work dir is claimed, and do not run; the others run;
    a resume keeps the records; unknown stages and a source that is not a work dir
    are refused."""
    runs = []
    stages = [
        (name, lambda ctx, name=name: runs.append(name) or {'value': name})
        for name in ('train_cam', 'eval_classifier', 'infer_cams')
    ]
    source, work_dir = str(tmp_path / 'cam'), str(tmp_path / 'advcam')
    pipeline.run_pipeline(PipelineContext(quickstart_config, source), stages, log=lambda _: None)
    assert runs == ['train_cam', 'eval_classifier', 'infer_cams']

    def run(take_over, source=source):
        ctx = PipelineContext(
            quickstart_config,
            work_dir,
            method='GradCAM',
            take_over_from=source,
            take_over=take_over,
        )
        return pipeline.run_pipeline(ctx, stages, log=lambda _: None)

    runs.clear()
    results = run(['train_cam', 'eval_classifier', 'saliency'])  # saliency: not in source
    assert runs == ['infer_cams']
    assert results['train_cam'] == dict(
        value='train_cam', seconds=results['train_cam']['seconds'], reused_from=source
    )
    assert 'reused_from' not in results['infer_cams']
    run(['train_cam', 'eval_classifier'])  # a resume: every stage done
    assert runs == ['infer_cams']
    with pytest.raises(ValueError, match='unknown stage train_net; the stages: train_auxiliary'):
        run(['train_net'])
    with pytest.raises(FileNotFoundError, match='has no stages/ folder'):
        run(['train_cam'], source=str(tmp_path))


@pytest.mark.slow
def test_group_quickstart_runs_from_nothing_to_work_dir_cams(tmp_path, repo_root, synth_root):
    """configs/quickstart/group_synthvoc.py (the default Group-WSSS preset) from nothing:
    the pipeline's CAM stages train it (batches of whole groups) and infer
    WORK_DIR/cams for every image of the CAM split."""
    config = osp.join(repo_root, 'configs', 'quickstart', 'group_synthvoc.py')
    options = {
        'train_dataloader.batch_size': 8,
        'train_dataloader.num_workers': 0,
        'train_dataloader.persistent_workers': False,
        'train_cfg.max_epochs': 1,
        'cam_dataloader.num_workers': 0,
        'cam_infer.scales': (1.0,),
    }
    ctx = PipelineContext(config, str(tmp_path), data_root=synth_root, cfg_options=options)
    stages = [
        s for s in pipeline.CAM_STAGES if s[0] in ('train_auxiliary', 'train_cam', 'infer_cams')
    ]
    results = pipeline.run_pipeline(ctx, stages, log=lambda line: None)
    _, _, ids = ctx.cam_split()
    assert results['infer_cams']['total'] == len(ids) > 0
    assert sorted(f for f in os.listdir(tmp_path / 'cams') if f.endswith('.npz')) == sorted(
        f'{i}.npz' for i in ids
    )
