"""The CAM and saliency folders record their recipe: a rerun of the same recipe
resumes and remakes the files that do not open, another recipe is refused naming
what differs, ``overwrite=True`` remakes every file."""

import json
import os
import os.path as osp

import pytest
from mmengine.registry import DefaultScope

from wsss_mm.apis import infer_cams
from wsss_mm.apis.saliency import infer_saliency
from wsss_mm.apis.train import load_config
from wsss_mm.cams.cam_file import cam_path, load_cam_file
from wsss_mm.utils.io import read_split


@pytest.fixture(autouse=True)
def wsss_mm_scope():
    with DefaultScope.overwrite_default_scope('wsss_mm'):
        yield


@pytest.fixture
def few(synth_root, tmp_path):
    """A split file of the tiny set's first 4 training images, and their ids."""
    ids = read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))[:4]
    split = tmp_path / 'few.txt'
    split.write_text('\n'.join(ids))
    return str(split), ids


def quickstart(repo_root, name):
    cfg = load_config(osp.join(repo_root, 'configs', 'quickstart', name))
    cfg.cam_dataloader.num_workers = 0
    return cfg


def test_cam_folder_resumes_its_recipe_and_refuses_another(repo_root, synth_root, tmp_path, few):
    split, ids = few
    out = str(tmp_path / 'cams')

    def run(**options):
        options = dict(dict(scales=(1.0,), flip=False, device='cpu'), **options)
        cfg = quickstart(repo_root, 'cam_synthvoc.py')
        return infer_cams(cfg, None, out, split=split, data_root=synth_root, **options)

    assert run() == dict(done=4, skipped=0, total=4, unreadable=0)
    with open(osp.join(out, '.recipe.json')) as f:
        recipe = json.load(f)['recipe']
    assert recipe['method'] == 'CAM' and recipe['cam_infer']['scales'] == [1.0]
    assert recipe['split']['file'] == split and recipe['split']['images'] == 4
    assert recipe['data_root'] == osp.abspath(synth_root) and recipe['checkpoint'] is None

    # a killed run: one file gone, one a text file: both made again, the others kept
    os.remove(cam_path(out, ids[0]))
    with open(cam_path(out, ids[2]), 'w') as f:
        f.write('not an archive')
    assert run() == dict(done=2, skipped=2, total=4, unreadable=1)
    assert load_cam_file(cam_path(out, ids[2]))['cam'].shape[1:] == (64, 64)

    # another method and scales: refused before any file is touched, naming both
    before = {i: os.stat(cam_path(out, i)).st_mtime_ns for i in ids}
    with pytest.raises(
        ValueError,
        match=r"another recipe .*cam_infer.scales: \[1.0\] -> \[1.0, 0.5\]; "
        r"method: 'CAM' -> 'GradCAM'. Rerun with --overwrite",
    ):
        run(method='GradCAM', scales=(1.0, 0.5))
    assert {i: os.stat(cam_path(out, i)).st_mtime_ns for i in ids} == before
    assert run(method='GradCAM', overwrite=True)['done'] == 4
    assert run(method='GradCAM')['skipped'] == 4


def test_saliency_folder_refuses_another_recipe(repo_root, synth_root, tmp_path, few):
    split, _ = few
    out = str(tmp_path / 'saliency')

    def run(**options):
        cfg = quickstart(repo_root, 'c2am_synthvoc.py')
        return infer_saliency(
            cfg, None, out, split, scales=(1.0,), data_root=synth_root, device='cpu', **options
        )

    assert run(flip=False)['done'] == 4
    assert run(flip=False)['skipped'] == 4
    with pytest.raises(ValueError, match=r'saliency_infer.flip: False -> True'):
        run(flip=True)
