"""Saliency: tools/infer_saliency.py (resumable) and tools/eval_saliency.py end to end,
the background / foreground mIoU by hand, saliency-guided affinity labels, bad input."""

import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config

import wsss_mm
from wsss_mm.apis.make_affinity_labels import make_affinity_labels
from wsss_mm.apis.saliency import eval_saliency
from wsss_mm.cams.cam_file import cam_path, load_cam_file, save_cam_file
from wsss_mm.cams.saliency_file import (
    find_saliency_file,
    load_saliency_file,
    save_saliency_file,
)
from wsss_mm.datasets.voc_layout import find_mask
from wsss_mm.evaluation import gt_mask_dirs
from wsss_mm.refine import affinity_labels
from wsss_mm.refine.pseudo_labels import label_path
from wsss_mm.registry import MODELS
from wsss_mm.utils.io import read_mask, read_split

TRAIN_SPLIT = 'ImageSets/Segmentation/train.txt'


def train_ids(synth_root):
    return read_split(osp.join(synth_root, TRAIN_SPLIT))


def gt_mask(synth_root, img_id):
    return read_mask(find_mask(gt_mask_dirs(synth_root), img_id))


def write_gt_saliency(synth_root, sal_dir, value=None):
    """Saliency files from the masks: 1 on every class, 0 on the background (or
    ``value`` everywhere)."""
    for img_id in train_ids(synth_root):
        gt = gt_mask(synth_root, img_id)
        fg = ((gt > 0) & (gt < 255)).astype(np.float32)
        saliency = fg if value is None else np.full(gt.shape, value, np.float32)
        save_saliency_file(cam_path(sal_dir, img_id), saliency)


@pytest.fixture(scope='module')
def c2am_checkpoint(repo_root, tmp_path_factory):
    """(config, checkpoint) of the quickstart C²AM as initialised (a checkpoint holding
    the polarity buffers)."""
    wsss_mm.register_all_modules(init_default_scope=False)
    config = osp.join(repo_root, 'configs', 'quickstart', 'c2am_synthvoc.py')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    ckpt = str(tmp_path_factory.mktemp('c2am') / 'c2am.pth')
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    return config, ckpt


def test_saliency_file_round_trip_and_png(tmp_path):
    saliency = np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)
    save_saliency_file(cam_path(str(tmp_path), 'a'), saliency)
    data = load_cam_file(cam_path(str(tmp_path), 'a'))  # a CAM file of one map, key 1
    assert data['keys'].tolist() == [1] and data['cam'].shape == (1, 3, 4)
    assert np.array_equal(load_saliency_file(find_saliency_file(str(tmp_path), 'a')), saliency)
    from PIL import Image

    Image.fromarray(np.array([[0, 255]], np.uint8)).save(str(tmp_path / 'b.png'))
    assert load_saliency_file(find_saliency_file(str(tmp_path), 'b')).tolist() == [[0.0, 1.0]]
    with pytest.raises(FileNotFoundError, match=r'saliency file not found: .*c\.npz'):
        find_saliency_file(str(tmp_path), 'c')
    with pytest.raises(ValueError, match=r'saliency must be in \[0, 1\]'):
        save_saliency_file(cam_path(str(tmp_path), 'd'), saliency * 2)
    save_cam_file(cam_path(str(tmp_path), 'e'), np.array([3, 4]), np.zeros((2, 3, 4)))
    with pytest.raises(ValueError, match=r'e\.npz is not a saliency file'):
        load_saliency_file(cam_path(str(tmp_path), 'e'))


def test_eval_saliency_by_hand(synth_root, tmp_path):
    perfect = str(tmp_path / 'perfect')
    write_gt_saliency(synth_root, perfect)
    result = eval_saliency(perfect, synth_root, thresholds=(0.3, 0.5))
    assert result['miou'] == pytest.approx(100) and result['num_images'] == 24

    # everything salient: IoU(fg) = the foreground share, IoU(bg) = 0
    everything = str(tmp_path / 'everything')
    write_gt_saliency(synth_root, everything, value=1.0)
    fg = total = 0
    for img_id in train_ids(synth_root):
        gt = gt_mask(synth_root, img_id)
        fg += int(((gt > 0) & (gt < 255)).sum())
        total += int((gt < 255).sum())
    result = eval_saliency(everything, synth_root, thresholds=(0.5,))
    assert result['class_iou'] == pytest.approx([0.0, 100 * fg / total])


@pytest.mark.slow
def test_infer_then_eval_and_rerun_skips(c2am_checkpoint, synth_root, tmp_path, run_tool):
    config, ckpt = c2am_checkpoint
    out = str(tmp_path / 'sal')
    args = ['--out-dir', out, '--data-root', synth_root, '--scales', '1.0', '0.5']
    options = ['--cfg-options', 'cam_dataloader.num_workers=0']
    proc = run_tool('tools/infer_saliency.py', config, ckpt, *args, *options)
    assert '24 written, 0 already there, 24 in the split' in proc.stdout
    data = load_cam_file(cam_path(out, 'synth_000000'))
    assert data['keys'].tolist() == [1] and data['cam'].shape == (1, 64, 64)
    assert data['cam'].min() >= 0 and data['cam'].max() <= 1

    os.remove(cam_path(out, 'synth_000005'))
    proc = run_tool('tools/infer_saliency.py', config, ckpt, *args, *options)
    assert '1 written, 23 already there' in proc.stdout

    proc = run_tool('tools/eval_saliency.py', '--sal-dir', out, '--data-root', synth_root)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary['num_images'] == 24
    assert 0 <= summary['miou'] <= 100 and 0 < summary['threshold'] < 1
    assert 'foreground' in proc.stdout and 'background' in proc.stdout
    direct = eval_saliency(out, synth_root)
    assert summary['miou'] == round(direct['miou'], 2)


@pytest.mark.slow
def test_bad_input_is_named(c2am_checkpoint, synth_root, tmp_path, run_tool, quickstart_config):
    config, ckpt = c2am_checkpoint
    missing = str(tmp_path / 'nope')
    proc = run_tool(
        'tools/eval_saliency.py', '--sal-dir', missing, '--data-root', synth_root, check=False
    )
    assert proc.returncode == 2 and f'saliency folder not found: {missing}' in proc.stderr

    few = str(tmp_path / 'few')
    save_saliency_file(cam_path(few, 'synth_000000'), np.zeros((64, 64)))
    proc = run_tool(
        'tools/eval_saliency.py', '--sal-dir', few, '--data-root', synth_root, check=False
    )
    assert proc.returncode == 2 and '23 of 24 images have no saliency file' in proc.stderr

    proc = run_tool(
        'tools/eval_saliency.py',
        '--sal-dir',
        few,
        '--data-root',
        synth_root,
        '--thresholds',
        '0.5',
        '0.1',
        '0.1',
        check=False,
    )
    assert proc.returncode == 2 and 'argument --thresholds: needs START <= STOP' in proc.stderr

    common = ['--out-dir', str(tmp_path / 'out'), '--data-root', synth_root]
    proc = run_tool('tools/infer_saliency.py', quickstart_config, ckpt, *common, check=False)
    assert proc.returncode == 2 and 'CAMClassifier is not a saliency network' in proc.stderr
    proc = run_tool('tools/infer_saliency.py', config, missing + '.pth', *common, check=False)
    assert proc.returncode == 2 and f'checkpoint not found: {missing}.pth' in proc.stderr


def test_saliency_guided_affinity_labels_differ_where_the_saliency_is_background(
    synth_root, tmp_path, write_gt_cams, repo_root
):
    """P-NOC's rule: with saliency, the background is where the saliency is (and only
    there); in the salient region the CAMs' confident classes stay, the rest is ignored."""
    cam_dir, sal_dir = str(tmp_path / 'cams'), str(tmp_path / 'sal')
    ids = train_ids(synth_root)
    write_gt_cams(synth_root, cam_dir, ids)
    write_gt_saliency(synth_root, sal_dir)
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'quickstart', 'affinity_synthvoc.py'))
    cfg.affinity_labels.crf = False
    cfg.refine_thresholds.affinity = 'fixed'
    plain, guided = str(tmp_path / 'plain'), str(tmp_path / 'guided')
    make_affinity_labels(cfg, cam_dir, plain, synth_root, num_workers=0)
    make_affinity_labels(cfg, cam_dir, guided, synth_root, num_workers=0, saliency_dir=sal_dir)
    changed = 0
    for img_id in ids:
        with_sal = read_mask(label_path(guided, img_id))
        without = read_mask(label_path(plain, img_id))
        background = load_saliency_file(find_saliency_file(sal_dir, img_id)) <= 0.5
        assert (with_sal[background] == 0).all()
        assert np.array_equal(with_sal != without, background & (without != 0)), img_id
        changed += int((with_sal != without).sum())
    assert changed > 0  # the plain labels had foreground or ignored pixels on the background

    # the same through the refine function, and a bad threshold is named
    cam = load_cam_file(cam_path(cam_dir, ids[0]))
    saliency = load_saliency_file(find_saliency_file(sal_dir, ids[0]))
    direct = affinity_labels(
        cam['keys'], torch.from_numpy(cam['cam']), 0.1, 0.02, saliency=saliency
    )
    assert np.array_equal(direct, read_mask(label_path(guided, ids[0])))
    with pytest.raises(ValueError, match=r'saliency_threshold must be in \[0, 1\)'):
        affinity_labels(
            cam['keys'], torch.from_numpy(cam['cam']), saliency=saliency, saliency_threshold=1.0
        )

    os.remove(cam_path(sal_dir, ids[3]))
    with pytest.raises(FileNotFoundError, match=r'1 of 24 images have no saliency file'):
        make_affinity_labels(
            cfg, cam_dir, str(tmp_path / 'x'), synth_root, num_workers=0, saliency_dir=sal_dir
        )


@pytest.mark.slow
def test_make_affinity_labels_tool_takes_a_saliency_dir(
    synth_root, tmp_path, write_gt_cams, repo_root, run_tool
):
    cam_dir, sal_dir = str(tmp_path / 'cams'), str(tmp_path / 'sal')
    write_gt_cams(synth_root, cam_dir, train_ids(synth_root))
    write_gt_saliency(synth_root, sal_dir)
    out = str(tmp_path / 'aff')
    proc = run_tool(
        'tools/make_affinity_labels.py',
        osp.join(repo_root, 'configs', 'quickstart', 'affinity_synthvoc.py'),
        '--cam-dir',
        cam_dir,
        '--out-dir',
        out,
        '--data-root',
        synth_root,
        '--saliency-dir',
        sal_dir,
        '--workers',
        '0',
        '--cfg-options',
        'affinity_labels.crf=False',
        'refine_thresholds.affinity=fixed',
    )
    assert f'background from the saliency in {sal_dir}' in proc.stdout
    labels = read_mask(label_path(out, 'synth_000000'))
    gt = gt_mask(synth_root, 'synth_000000')
    assert (labels[gt == 0] == 0).all()


def test_saliency_tools_print_help(run_tool):
    for tool in ('infer_saliency.py', 'eval_saliency.py', 'make_affinity_labels.py'):
        out = run_tool(f'tools/{tool}', '--help').stdout
        assert 'usage' in out
    assert '--saliency-dir' in out
