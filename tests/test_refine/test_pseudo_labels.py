"""Label maps from CAMs: background, confident regions, the atomic PNG writer, the
resumable affinity-label and random-walk stages."""

import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

import wsss_mm
from wsss_mm.apis.make_affinity_labels import make_affinity_labels
from wsss_mm.apis.make_pseudo_labels import make_pseudo_labels
from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.datasets.voc_layout import VOC_PALETTE
from wsss_mm.refine import (
    add_background,
    affinity_labels,
    confident_labels,
    label_path,
    save_label_map,
)
from wsss_mm.registry import MODELS
from wsss_mm.utils.io import read_mask, read_split


def test_add_background_modes():
    cams = torch.tensor([[[0.2, 1.0]], [[0.5, 0.0]]])  # (2, 1, 2)
    assert torch.allclose(add_background(cams, 'threshold', 0.3)[0], torch.tensor([[0.3, 0.3]]))
    assert torch.allclose(add_background(cams, 'power', 2)[0], torch.tensor([[0.25, 0.0]]))
    assert add_background(torch.zeros(0, 1, 2), 'power', 2).tolist() == [[[1.0, 1.0]]]
    with pytest.raises(ValueError, match='background mode'):
        add_background(cams, 'otsu', 0.3)


def test_confident_labels_ignore_between_the_thresholds():
    cams = torch.tensor([[[0.9, 0.3, 0.05]]])
    assert confident_labels([7], cams, 0.5, 0.1).tolist() == [[7, 255, 0]]
    assert confident_labels([7], cams, 0.2, 0.2).tolist() == [[7, 7, 0]]  # no band
    with pytest.raises(ValueError, match='must not exceed'):
        confident_labels([7], cams, 0.1, 0.5)


def test_affinity_labels_with_saliency():
    cams = torch.tensor([[[0.9, 0.05, 0.9, 0.05]]])
    saliency = np.array([[0.9, 0.9, 0.1, 0.1]])
    # salient: the class where confident, else ignored; not salient: background
    assert affinity_labels([4], cams, 0.3, 0.05, saliency=saliency).tolist() == [[4, 255, 0, 0]]
    with pytest.raises(ValueError, match='saliency map size'):
        affinity_labels([4], cams, saliency=np.ones((2, 2)))


def test_label_map_writer_is_atomic(tmp_path, monkeypatch):
    path = str(tmp_path / 'sub' / 'a.png')
    labels = np.array([[0, 1, 20], [255, 3, 0]], np.uint8)
    save_label_map(path, labels)
    with Image.open(path) as img:
        assert img.mode == 'P'
        assert img.getpalette()[:6] == VOC_PALETTE[0] + VOC_PALETTE[1]
    assert (read_mask(path) == labels).all()

    def broken_save(self, fp, *args, **kwargs):
        with open(fp, 'wb') as f:
            f.write(b'half a PNG')
        raise OSError('disk full')

    monkeypatch.setattr(Image.Image, 'save', broken_save)
    with pytest.raises(OSError, match='disk full'):
        save_label_map(path, np.zeros((2, 3), np.uint8))
    assert (read_mask(path) == labels).all()  # the old file is intact
    assert os.listdir(tmp_path / 'sub') == ['a.png']  # no temporary file left
    with pytest.raises(ValueError, match='label map'):
        save_label_map(path, np.zeros((2, 3, 3), np.uint8))


@pytest.fixture(scope='module')
def gt_cams(synth_root, tmp_path_factory, write_gt_cams):
    """Blurred ground-truth CAM files of the tiny set's train split."""
    cam_dir = str(tmp_path_factory.mktemp('gt_cams'))
    write_gt_cams(
        synth_root, cam_dir, read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))
    )
    return cam_dir


@pytest.fixture(scope='module')
def affinity_config_path(repo_root):
    return osp.join(repo_root, 'configs', 'quickstart', 'affinity_synthvoc.py')


@pytest.fixture
def affinity_config(affinity_config_path) -> Config:
    """The quickstart affinity config without the (optional) CRF, at fixed thresholds."""
    cfg = Config.fromfile(affinity_config_path)
    cfg.affinity_labels.crf = cfg.pseudo_labels.crf = False  # pydensecrf2 is optional
    cfg.refine_thresholds.affinity = 'fixed'
    cfg.refine_workers = 2
    return cfg


def test_affinity_labels_resume_and_name_missing_cams(
    synth_root, gt_cams, tmp_path, affinity_config
):
    out = str(tmp_path / 'aff')
    cfg = affinity_config
    assert make_affinity_labels(cfg, gt_cams, out, synth_root) == dict(
        done=24, skipped=0, total=24, unreadable=0, fg_threshold=0.1, bg_threshold=0.02
    )
    labels = read_mask(label_path(out, 'synth_000000'))
    assert labels.shape == (64, 64) and set(np.unique(labels)) <= set(range(21)) | {255}
    os.remove(label_path(out, 'synth_000003'))
    assert make_affinity_labels(cfg, gt_cams, out, synth_root, num_workers=0)['done'] == 1

    few = str(tmp_path / 'few_cams')
    os.makedirs(few)
    with pytest.raises(FileNotFoundError, match=r"22 of 24 images .*synth_000000"):
        for img_id in ('synth_000010', 'synth_000011'):
            os.link(cam_path(gt_cams, img_id), cam_path(few, img_id))
        make_affinity_labels(cfg, few, out, synth_root)


def test_cam_size_mismatch_is_named(synth_root, gt_cams, tmp_path, affinity_config):
    cams = str(tmp_path / 'cams')
    os.makedirs(cams)
    for img_id in read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt')):
        os.link(cam_path(gt_cams, img_id), cam_path(cams, img_id))
    os.remove(cam_path(cams, 'synth_000005'))
    save_cam_file(cam_path(cams, 'synth_000005'), np.array([3]), np.ones((1, 32, 32)))
    with pytest.raises(ValueError, match=r'synth_000005.npz: CAM size \(32, 32\) differs'):
        make_affinity_labels(
            affinity_config, cams, str(tmp_path / 'out'), synth_root, num_workers=0
        )


def test_pseudo_masks_resume_and_cli(
    synth_root, gt_cams, tmp_path, affinity_config, affinity_config_path, run_tool
):
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = affinity_config
    checkpoint = str(tmp_path / 'aff.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    # the settings of the command line below, so that it resumes this folder
    cfg.pseudo_labels.ignore_band = (0.2, 0.6)
    cfg.random_walk.beta = 100
    out = str(tmp_path / 'pseudo')
    assert make_pseudo_labels(cfg, checkpoint, gt_cams, out, synth_root) == dict(
        done=24, skipped=0, total=24, unreadable=0
    )
    mask = read_mask(label_path(out, 'synth_000001'))
    assert mask.shape == (64, 64) and set(np.unique(mask)) <= set(range(21)) | {255}

    # beta 100: the untrained network's affinities vanish, the walk keeps the CAMs
    os.remove(label_path(out, 'synth_000002'))
    proc = run_tool(
        'tools/make_pseudo_labels.py',
        affinity_config_path,
        checkpoint,
        '--cam-dir',
        gt_cams,
        '--out-dir',
        out,
        '--data-root',
        synth_root,
        '--cfg-options',
        'pseudo_labels.crf=False',
        'pseudo_labels.ignore_band=(0.2,0.6)',
        'random_walk.beta=100',
    )
    assert '1 written, 23 already there' in proc.stdout
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert 0 < result['miou'] <= 100 and result['num_images'] == 24
    assert 'aeroplane' in proc.stdout
    assert (read_mask(label_path(out, 'synth_000002')) == 255).any()  # the ignore band

    with pytest.raises(FileNotFoundError, match='AffinityNet checkpoint not found'):
        make_pseudo_labels(
            cfg, str(tmp_path / 'none.pth'), gt_cams, str(tmp_path / 'x'), synth_root
        )


@pytest.mark.parametrize('crf', [False, True])
def test_pseudo_masks_in_worker_processes_equal_one_process(
    synth_root, gt_cams, tmp_path, affinity_config, crf
):
    """The CRF and the writing in a pool of 2 processes give the masks of one process."""
    if crf:
        pytest.importorskip('pydensecrf')
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = affinity_config
    cfg.pseudo_labels.crf = crf
    cfg.pseudo_labels.ignore_band = (0.2, 0.6)
    checkpoint = str(tmp_path / 'aff.pth')
    torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    split = osp.join(synth_root, 'ImageSets/Segmentation/train.txt')
    ids = read_split(split)[:8]
    with open(tmp_path / 'few.txt', 'w') as f:
        f.write('\n'.join(ids))
    outs = {}
    for workers in (1, 2):
        outs[workers] = str(tmp_path / f'w{workers}')
        summary = make_pseudo_labels(
            cfg,
            checkpoint,
            gt_cams,
            outs[workers],
            synth_root,
            split=str(tmp_path / 'few.txt'),
            device='cpu',
            num_workers=workers,
        )
        assert summary == dict(done=8, skipped=0, total=8, unreadable=0)
    for img_id in ids:
        one, two = (read_mask(label_path(outs[w], img_id)) for w in (1, 2))
        assert np.array_equal(one, two), img_id


def test_label_map_folders_refuse_another_recipe_and_repair_broken_files(
    synth_root, gt_cams, tmp_path, affinity_config
):
    """Affinity labels and pseudo masks record their recipe: a PNG cut short is made
    again; other thresholds or another checkpoint are refused, naming what differs."""
    cfg = affinity_config
    out = str(tmp_path / 'aff')
    make_affinity_labels(cfg, gt_cams, out, synth_root, num_workers=0)
    with open(label_path(out, 'synth_000004'), 'r+b') as f:
        f.truncate(50)
    again = make_affinity_labels(cfg, gt_cams, out, synth_root, num_workers=0)
    assert (again['done'], again['skipped'], again['unreadable']) == (1, 23, 1)
    assert read_mask(label_path(out, 'synth_000004')).shape == (64, 64)
    cfg.affinity_labels.fg_threshold = 0.3
    with pytest.raises(ValueError, match=r'another recipe .*fg_threshold: 0.1 -> 0.3\. Rerun'):
        make_affinity_labels(cfg, gt_cams, out, synth_root, num_workers=0)
    assert make_affinity_labels(cfg, gt_cams, out, synth_root, 0, overwrite=True)['done'] == 24

    wsss_mm.register_all_modules(init_default_scope=False)
    first, second = str(tmp_path / 'a.pth'), str(tmp_path / 'b.pth')
    for checkpoint in (first, second):
        torch.save(dict(state_dict=MODELS.build(cfg.model).state_dict()), checkpoint)
    split = tmp_path / 'few.txt'
    split.write_text('synth_000000\nsynth_000001\n')
    pseudo = str(tmp_path / 'pseudo')
    options = dict(split=str(split), device='cpu', num_workers=0)
    make_pseudo_labels(cfg, first, gt_cams, pseudo, synth_root, **options)
    with pytest.raises(ValueError, match=r"checkpoint.path: '.*a.pth' -> '.*b.pth'"):
        make_pseudo_labels(cfg, second, gt_cams, pseudo, synth_root, **options)
