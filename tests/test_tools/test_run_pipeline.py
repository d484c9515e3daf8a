"""tools/run_pipeline.py end to end on the tiny set (a rerun skips every stage); an
unknown CAM method stops it before any stage."""

import glob
import json
import os
import os.path as osp

import numpy as np
import pytest
from PIL import Image

from wsss_mm.datasets.coco_layout import COCO_CLASSES, COCO_PALETTE
from wsss_mm.refine import crf_available
from wsss_mm.utils.io import read_mask

# one epoch per training stage, single-scale CAMs, no worker processes
TINY = (
    [
        'train_dataloader.batch_size=8',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
        'train_cfg.max_epochs=1',
        'cam_dataloader.num_workers=0',
        'cam_infer.scales=(1.0,)',
    ]
    + [
        f'pipeline.{kind}_options.{key}'
        for kind in ('affinity', 'seg')
        for key in (
            'train_cfg.max_epochs=1',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False',
        )
    ]
    + [
        'pipeline.seg_options.val_dataloader.num_workers=0',
        'pipeline.seg_options.val_dataloader.persistent_workers=False',
    ]
)
STAGES = [
    'train_auxiliary',
    'train_cam',
    'infer_cams',
    'eval_cams',
    'eval_crf',
    'affinity_labels',
    'train_affinity',
    'random_walk',
    'eval_walk',
    'pseudo_masks',
    'select_masks',
    'train_seg',
    'test_seg',
]


@pytest.fixture
def pipeline_config(repo_root):
    return osp.join(repo_root, 'configs', 'quickstart', 'pipeline_synthvoc.py')


@pytest.mark.slow
def test_pipeline_runs_then_skips_every_stage(synth_root, tmp_path, run_tool, pipeline_config):
    work_dir = str(tmp_path / 'work')
    args = [
        'tools/run_pipeline.py',
        pipeline_config,
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *TINY,
    ]
    first = run_tool(*args)
    # a quiet terminal: a line per stage, the tables, the JSON line; each Runner's log
    # (config dump, training iterations) only in its work dir
    lines = (first.stdout + first.stderr).splitlines()
    assert len(lines) < 60 and 'mmengine - INFO' not in first.stdout
    for stage, sub_dir, logged in [
        ('train_cam', 'cam', 'Epoch(train)'),
        ('train_affinity', 'affinity', 'Epoch(train)'),
        ('train_seg', 'seg', 'Epoch(train)'),
        ('test_seg', 'seg', 'mIoU'),
    ]:
        line = next(x for x in lines if x.startswith(f'[pipeline] {stage}: done in '))
        log = line.split(' (log: ')[1].rstrip(')')
        assert osp.dirname(osp.dirname(log)) == osp.join(work_dir, sub_dir)
        with open(log) as f:
            text = f.read()
        assert 'Config:' in text and logged in text
    assert len(os.listdir(osp.join(work_dir, 'cam_overlays'))) == 10
    numbers = json.loads(first.stdout.strip().splitlines()[-1])
    assert set(numbers) == {
        'seed_miou',
        'crf_miou',
        'walk_miou',
        'pseudo_miou',
        'val_miou',
        'floor_miou',
        'seg_trained_on',
        'below_previous',
    }
    for key in ('seed_miou', 'walk_miou', 'pseudo_miou', 'val_miou', 'floor_miou'):
        assert 0 <= numbers[key] <= 100
    assert (numbers['crf_miou'] is None) == (not crf_available())
    assert numbers['seg_trained_on'] == 'pseudo masks'
    assert 'pseudo masks (random walk' in first.stdout
    assert 'segmentation trained on: pseudo masks (default)' in first.stdout
    # the thresholds follow the seeds: affinity labels by IRN's ratios, the walk by its sweep
    stages = osp.join(work_dir, 'stages')
    with open(osp.join(stages, 'eval_cams.json')) as f:
        seed_threshold = json.load(f)['seed_threshold']
    with open(osp.join(stages, 'affinity_labels.json')) as f:
        aff = json.load(f)
    assert aff['fg_threshold'] == pytest.approx(min(max(2 * seed_threshold, 0.01), 0.95))
    assert aff['bg_threshold'] == pytest.approx(max(seed_threshold / 3, 0.01), abs=1e-4)
    with (
        open(osp.join(stages, 'eval_walk.json')) as f,
        open(osp.join(stages, 'pseudo_masks.json')) as g,
    ):
        assert json.load(g)['threshold'] == json.load(f)['walk_threshold']
    assert 'segmentation val (multi-scale + flip)' in first.stdout
    masks = os.listdir(osp.join(work_dir, 'pseudo_masks'))
    assert len(masks) == 25 and 'synth_000000.png' in masks and '.recipe.json' in masks
    # the galleries: the CAM split's stages, and the segmentation network on val
    assert len(os.listdir(osp.join(work_dir, 'seg_preds'))) == 8
    crf_seeds = osp.join(work_dir, 'crf_seeds')
    assert len(glob.glob(osp.join(crf_seeds, '*.png'))) == 24 * crf_available()
    galleries = [osp.join(work_dir, name) for name in ('gallery.html', 'gallery_val.html')]
    assert f'gallery of the stages (open in a browser): {" ".join(galleries)}' in first.stdout

    second = run_tool(*args)
    for stage in STAGES:
        done = f'[pipeline] {stage}: already done' in second.stdout
        unavailable = stage == 'eval_crf' and not crf_available()
        assert done or unavailable, stage
    assert 'running' not in second.stdout.replace('eval_crf: running', '')
    assert json.loads(second.stdout.strip().splitlines()[-1]) == numbers

    # another recipe in the same work dir: refused before any stage, naming what differs
    third = run_tool(*args, '--method', 'GradCAM', check=False)
    assert third.returncode == 2 and '[pipeline]' not in third.stdout
    assert "was made by another recipe (.recipe.json): method: 'CAM' -> 'GradCAM'" in third.stderr
    assert '--overwrite' in third.stderr and '--work-dir' in third.stderr


def test_pipeline_rejects_an_unknown_method_before_any_stage(
    synth_root, tmp_path, run_tool, pipeline_config
):
    work_dir = tmp_path / 'work'
    proc = run_tool(
        'tools/run_pipeline.py',
        pipeline_config,
        '--data-root',
        synth_root,
        '--work-dir',
        str(work_dir),
        '--method',
        'NoSuchCAM',
        check=False,
    )
    assert proc.returncode == 2 and 'unknown CAM method "NoSuchCAM"' in proc.stderr
    assert not work_dir.exists()


@pytest.mark.slow
def test_pnoc_pipeline_trains_its_ordinary_classifier_first(
    synth_root, tmp_path, run_tool, repo_root
):
    """P-NOC+C²AM-H from nothing: the ordinary classifier (stage train_auxiliary), P-NOC
    on it, the CAM method of --method on P-NOC's generator, C²AM-H on those CAMs, and
    the refinement stages with the saliency maps giving the affinity labels' background."""
    work_dir = str(tmp_path / 'work')
    aux = [
        f'auxiliary.0.options.{key}'
        for key in (
            'train_dataloader.batch_size=8',
            'train_dataloader.num_workers=0',
            'train_dataloader.persistent_workers=False',
            'train_cfg.max_epochs=1',
        )
    ]
    proc = run_tool(
        'tools/run_pipeline.py',
        osp.join(repo_root, 'configs', 'quickstart', 'pnoc_synthvoc.py'),
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--method',
        'GradCAM',
        '--cfg-options',
        *TINY,
        *aux,
        'val_dataloader.num_workers=0',
        'pipeline.saliency_config=c2am_synthvoc_hints.py',
        *[
            f'pipeline.saliency_options.{key}'
            for key in (
                'train_dataloader.batch_size=8',
                'train_dataloader.num_workers=0',
                'train_dataloader.persistent_workers=False',
                'train_cfg.max_epochs=1',
                'cam_dataloader.num_workers=0',
            )
        ],
    )
    with open(osp.join(work_dir, 'stages', 'train_auxiliary.json')) as f:
        oc = json.load(f)['networks']['ordinary_classifier']
    assert oc['key'] == 'model.oc_checkpoint'
    assert oc['checkpoint'] == osp.join(work_dir, 'aux', 'ordinary_classifier', 'epoch_1.pth')
    cam_log = next(
        line for line in proc.stdout.splitlines() if line.startswith('[pipeline] train_cam: done')
    )
    with open(cam_log.split(' (log: ')[1].rstrip(')')) as f:
        text = f.read()
    assert oc['checkpoint'] in text and 'loss_noc' in text
    stages = osp.join(work_dir, 'stages')
    with open(osp.join(stages, 'saliency.json')) as f:
        saliency = json.load(f)
    with open(osp.join(stages, 'affinity_labels.json')) as f:
        aff = json.load(f)
    assert 0 <= saliency['saliency_miou'] <= 100
    assert aff['saliency_dir'] == osp.join(work_dir, 'saliency')
    assert aff['saliency_threshold'] == saliency['saliency_threshold']
    assert len(glob.glob(osp.join(work_dir, 'saliency', '*.npz'))) == 24
    numbers = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 0 <= numbers['pseudo_miou'] <= 100 and 0 <= numbers['val_miou'] <= 100


@pytest.mark.slow
def test_pipeline_runs_on_a_coco_layout_set_at_81_labels(tmp_path, run_tool, repo_root):
    """The whole pipeline on a synthetic COCO 2014-layout set (80 classes): the CAM
    head has 80 outputs, and the seeds, pseudo masks and DeepLab are scored on 81
    labels; the label maps are COCO ids in COCO's palette."""
    root = str(tmp_path / 'synthcoco')
    run_tool(
        'tools/make_synthetic_voc.py',
        root,
        *('--num-train', '24', '--num-val', '8', '--size', '64', '--seed', '1'),
        *('--layout', 'coco'),
    )
    work_dir = str(tmp_path / 'work')
    config = osp.join(repo_root, 'configs', 'quickstart', 'cam_synthcoco.py')
    proc = run_tool(
        'tools/run_pipeline.py',
        config,
        *('--data-root', root, '--work-dir', work_dir, '--cfg-options', *TINY),
    )
    numbers = json.loads(proc.stdout.strip().splitlines()[-1])
    print(json.dumps(numbers))
    for key in ('seed_miou', 'walk_miou', 'pseudo_miou', 'val_miou', 'floor_miou'):
        assert 0 <= numbers[key] <= 100
    stages = osp.join(work_dir, 'stages')
    with open(osp.join(stages, 'eval_cams.json')) as f:
        assert tuple(json.load(f)['class_names']) == COCO_CLASSES
    with open(osp.join(stages, 'pseudo_masks.json')) as f:
        assert len(json.load(f)['class_iou']) == 81
    with open(osp.join(stages, 'test_seg.json')) as f:
        assert json.load(f)['val_miou'] == pytest.approx(numbers['val_miou'], abs=0.01)
    with open(osp.join(root, 'train.txt')) as f:
        train_ids = f.read().split()
    masks = sorted(glob.glob('*.png', root_dir=osp.join(work_dir, 'pseudo_masks')))
    assert masks == sorted(f'{i}.png' for i in train_ids)
    # COCO class ids (some above VOC's 20) in COCO's palette
    labels = set()
    for name in masks:
        with Image.open(osp.join(work_dir, 'pseudo_masks', name)) as img:
            assert img.getpalette()[: 3 * 81] == [c for rgb in COCO_PALETTE for c in rgb]
            labels |= set(np.unique(np.asarray(img)).tolist())
    assert max(labels - {255}) > 20
    cam = np.load(osp.join(work_dir, 'cams', train_ids[0] + '.npz'))
    gt = read_mask(osp.join(root, 'SegmentationClass', 'train2014', train_ids[0] + '.png'))
    assert set(cam['keys'].tolist()) == set(np.unique(gt).tolist()) - {0, 255}
