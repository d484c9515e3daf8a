"""Refinement thresholds tied to the seeds: IRN's ratios, hand-made CAMs whose seeds are
best at low and at high thresholds, the walked scores as CAM files, and the pipeline's
guard (stage marks, --auto-refine)."""

import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from mmengine.config import Config
from run_pipeline import format_tables, train_rows

import wsss_mm
from wsss_mm.apis import pipeline
from wsss_mm.apis.eval_cams import eval_cams
from wsss_mm.apis.make_affinity_labels import make_affinity_labels, resolve_affinity_thresholds
from wsss_mm.apis.make_pseudo_labels import pseudo_crf, walk_cam_files
from wsss_mm.cams.cam_file import cam_path, load_cam_file, save_cam_file
from wsss_mm.refine import crf_available
from wsss_mm.refine.pseudo_labels import label_path
from wsss_mm.refine.thresholds import affinity_thresholds
from wsss_mm.registry import MODELS
from wsss_mm.utils.io import read_mask, read_split


@pytest.fixture(scope='module')
def affinity_config_path(repo_root):
    return osp.join(repo_root, 'configs', 'quickstart', 'affinity_synthvoc.py')


def test_affinity_thresholds_keep_irn_ratios():
    assert affinity_thresholds(0.15) == pytest.approx((0.30, 0.05))
    assert affinity_thresholds(0.30) == pytest.approx((0.60, 0.10))
    assert affinity_thresholds(0.6) == (0.95, 0.2)  # clipped: some foreground stays confident
    assert affinity_thresholds(0.02) == (0.04, 0.01)
    assert affinity_thresholds(0.2, fg_ratio=1.5, bg_ratio=0.5) == (0.3, 0.1)
    for bad in (
        dict(seed_threshold=0),
        dict(seed_threshold=1.2),
        dict(seed_threshold=0.2, fg_ratio=0.5),
        dict(seed_threshold=0.2, bg_ratio=0),
    ):
        with pytest.raises(ValueError):
            affinity_thresholds(**bad)


def test_the_seed_rule_needs_the_seed_threshold(affinity_config_path):
    cfg = Config.fromfile(affinity_config_path)
    with pytest.raises(ValueError, match=r"--seed-threshold .*refine_thresholds.affinity="):
        resolve_affinity_thresholds(cfg)
    assert resolve_affinity_thresholds(cfg, 0.3) == pytest.approx((0.6, 0.1))
    cfg.refine_thresholds.affinity = 'fixed'
    assert resolve_affinity_thresholds(cfg, 0.3) == (0.10, 0.02)
    cfg.refine_thresholds.affinity = 'dataset'
    with pytest.raises(ValueError, match='must be one of'):
        resolve_affinity_thresholds(cfg, 0.3)


def write_powered_cams(synth_root: str, cam_dir: str, power: float) -> None:
    """Blurred ground-truth maps raised to ``power``: a low power spreads them over the
    background (seeds best at a high threshold), a high power makes them peaked."""
    for img_id in read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt')):
        gt = read_mask(osp.join(synth_root, 'SegmentationClass', img_id + '.png'))
        keys = np.array([k for k in np.unique(gt) if 0 < k < 255], np.int64)
        maps = [cv2.GaussianBlur((gt == k).astype(np.float32), (0, 0), sigmaX=4) for k in keys]
        maps = np.stack([(m / m.max()) ** power for m in maps])
        save_cam_file(cam_path(cam_dir, img_id), keys, maps)


def label_precision(synth_root: str, label_dir: str) -> tuple:
    """(confident-fg precision, confident-bg precision, labelled fraction) of a folder."""
    counts = np.zeros(5)
    for img_id in read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt')):
        gt = read_mask(osp.join(synth_root, 'SegmentationClass', img_id + '.png'))
        labels = read_mask(label_path(label_dir, img_id))
        valid = gt != 255
        fg, bg = (labels != 255) & (labels != 0) & valid, (labels == 0) & valid
        counts += [
            ((labels == gt) & fg).sum(),
            fg.sum(),
            ((gt == 0) & bg).sum(),
            bg.sum(),
            valid.sum(),
        ]
    return counts[0] / counts[1], counts[2] / counts[3], (counts[1] + counts[3]) / counts[4]


@pytest.mark.parametrize('power', [0.25, 1.0, 4.0])
def test_seed_relative_thresholds_follow_the_cams(
    synth_root, tmp_path, power, affinity_config_path
):
    """Whatever the CAMs' scale, thresholds derived from the seeds' sweep label confident
    regions correctly; the fixed quickstart numbers (fg 0.10) call the spread maps'
    background foreground."""
    cam_dir = str(tmp_path / 'cams')
    write_powered_cams(synth_root, cam_dir, power)
    seed_threshold = eval_cams(cam_dir, synth_root)['cams']['threshold']
    cfg = Config.fromfile(affinity_config_path)
    cfg.affinity_labels.crf = False
    derived = make_affinity_labels(
        cfg,
        cam_dir,
        str(tmp_path / 'seed'),
        synth_root,
        num_workers=0,
        seed_threshold=seed_threshold,
    )
    assert (derived['fg_threshold'], derived['bg_threshold']) == affinity_thresholds(seed_threshold)
    fg_precision, bg_precision, labelled = label_precision(synth_root, str(tmp_path / 'seed'))
    assert fg_precision > 0.95 and bg_precision > 0.95 and labelled > 0.6
    if power < 1:
        assert seed_threshold >= 0.5
        cfg.refine_thresholds.affinity = 'fixed'
        make_affinity_labels(cfg, cam_dir, str(tmp_path / 'fixed'), synth_root, num_workers=0)
        assert label_precision(synth_root, str(tmp_path / 'fixed'))[0] < 0.5


def test_walked_scores_are_cam_files(synth_root, tmp_path, affinity_config_path):
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(affinity_config_path)
    cfg.random_walk.beta = 100  # an untrained network's affinities vanish: the walk keeps
    checkpoint = str(tmp_path / 'aff.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    cam_dir, walked = str(tmp_path / 'cams'), str(tmp_path / 'walked')
    write_powered_cams(synth_root, cam_dir, 1.0)
    summary = walk_cam_files(cfg, checkpoint, cam_dir, walked, synth_root, device='cpu')
    assert summary == dict(done=24, skipped=0, total=24, unreadable=0)
    cam, walk = (load_cam_file(cam_path(d, 'synth_000004')) for d in (cam_dir, walked))
    assert (walk['keys'] == cam['keys']).all() and walk['cam'].shape == cam['cam'].shape
    assert walk['cam'].min() >= 0 and walk['cam'].max() == pytest.approx(1.0)
    assert walk_cam_files(cfg, checkpoint, cam_dir, walked, synth_root)['skipped'] == 24
    cfg.random_walk.bg_mode = 'power'
    with pytest.raises(ValueError, match='bg_mode must be "threshold"'):
        walk_cam_files(cfg, checkpoint, cam_dir, walked, synth_root)


@pytest.mark.skipif(not crf_available(), reason='pydensecrf2 is not installed')
def test_pseudo_crf_is_off_on_or_an_override(affinity_config_path):
    cfg = Config.fromfile(affinity_config_path)
    assert pseudo_crf(cfg).iterations == 10
    cfg.pseudo_labels.crf = dict(iterations=1, unary='prob')  # Puzzle-CAM's
    crf = pseudo_crf(cfg)
    assert (crf.iterations, crf.unary, crf.bilateral) == (1, 'prob', (50, 5, 10))
    cfg.pseudo_labels.crf = False
    assert pseudo_crf(cfg) is None


def fake_results(seed=50.0, crf=55.0, walk=52.0, pseudo=48.0) -> dict:
    names = ['background', 'aeroplane']
    return dict(
        eval_cams=dict(
            seed_miou=seed,
            seed_threshold=0.3,
            floor_miou=8.0,
            class_iou=[1.0, 2.0],
            class_names=names,
        ),
        eval_crf=dict(crf_miou=crf, class_iou=[1.0, 2.0]),
        eval_walk=dict(walk_miou=walk, walk_threshold=0.4, class_iou=[1.0, 2.0]),
        pseudo_masks=dict(pseudo_miou=pseudo, threshold=0.4, crf=True, class_iou=[1.0, 2.0]),
    )


def test_stages_below_the_stage_they_refine_are_marked():
    rows = train_rows(fake_results(seed=50, crf=55, walk=52, pseudo=48))
    assert [mark for _, _, mark in rows] == ['', '', '', '<< below random walk and seeds']
    assert [mark for _, _, mark in train_rows(fake_results(50, 55, 60, 65))] == [''] * 4
    rows = train_rows(fake_results(seed=50, crf=45, walk=49, pseudo=51))
    assert [mark for _, _, mark in rows] == ['', '<< below seeds', '<< below seeds', '']
    results = fake_results(crf=None)
    results['eval_crf'] = dict(unavailable='no pydensecrf2', crf_miou=None)
    assert train_rows(results)[1] == ('seeds + dense CRF (not run: no pydensecrf2)', None, '')
    table = format_tables(fake_results(), 'CAM')
    assert 'pseudo masks (random walk + CRF, bg threshold 0.40)' in table
    assert 'seeds (CAM, bg threshold 0.30)' in table
    assert '<< below random walk and seeds' in table


@pytest.mark.parametrize(
    'auto_refine,scores,choice',
    [
        (False, (50.0, 55.0, 52.0, 48.0), 'pseudo masks'),
        (True, (50.0, 45.0, 52.0, 48.0), 'seeds'),
        (True, (50.0, 45.0, 52.0, 58.0), 'pseudo masks'),
    ],
)
def test_auto_refine_picks_the_best_train_masks(
    synth_root, tmp_path, auto_refine, scores, choice, repo_root
):
    ctx = pipeline.PipelineContext(
        osp.join(repo_root, 'configs', 'quickstart', 'pipeline_synthvoc.py'),
        str(tmp_path),
        data_root=synth_root,
        auto_refine=auto_refine,
    )
    write_powered_cams(synth_root, ctx.path('cams'), 1.0)
    ctx.results = fake_results(*scores)
    selected = pipeline.select_masks(ctx)
    assert selected['choice'] == choice and selected['auto_refine'] == auto_refine
    if choice == 'seeds':
        assert selected['mask_dir'] == 'seed_masks'
        seeds = read_mask(label_path(ctx.path('seed_masks'), 'synth_000003'))
        cam = load_cam_file(cam_path(ctx.path('cams'), 'synth_000003'))
        expected = np.where(cam['cam'].max(0) > 0.3, cam['keys'][cam['cam'].argmax(0)], 0)
        assert (seeds == expected).all()
    else:
        assert selected['mask_dir'] == 'pseudo_masks'


def test_make_affinity_labels_cli_takes_the_seed_threshold(
    synth_root, tmp_path, affinity_config_path, run_tool
):
    cam_dir = str(tmp_path / 'cams')
    write_powered_cams(synth_root, cam_dir, 1.0)
    args = [
        'tools/make_affinity_labels.py',
        affinity_config_path,
        '--cam-dir',
        cam_dir,
        '--out-dir',
        str(tmp_path / 'aff'),
        '--data-root',
        synth_root,
        '--workers',
        '0',
        '--cfg-options',
        'affinity_labels.crf=False',
    ]
    proc = run_tool(*args, check=False)
    assert proc.returncode != 0 and '--seed-threshold' in proc.stderr
    proc = run_tool(*args, '--seed-threshold', '0.3')
    assert '24 written' in proc.stdout and 'fg threshold 0.6, bg threshold 0.1' in proc.stdout
