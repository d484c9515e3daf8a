"""tools/infer_cams.py --group-size: each image's CAMs from its group's graph."""

import os

import numpy as np
import pytest
from mmengine.registry import DefaultScope

from wsss_mm.apis import infer_cams
from wsss_mm.apis.train import load_config
from wsss_mm.cams.cam_file import load_cam_file


def group_config(repo_root, name='group_synthvoc.py'):
    cfg = load_config(os.path.join(repo_root, 'configs', 'quickstart', name))
    cfg.cam_infer = dict(scales=(1.0, 0.5), flip=True)
    cfg.cam_dataloader.num_workers = 0
    return cfg


@pytest.fixture(autouse=True)
def wsss_mm_scope():
    with DefaultScope.overwrite_default_scope('wsss_mm'):
        yield


def read_all(cam_dir):
    return {
        f: load_cam_file(os.path.join(cam_dir, f))
        for f in sorted(os.listdir(cam_dir))
        if f.endswith('.npz')  # not the folder's .recipe.json
    }


def test_group_cams_differ_from_single_image_cams_and_resume(repo_root, synth_root, tmp_path):
    single, grouped = str(tmp_path / 'single'), str(tmp_path / 'grouped')
    options = dict(data_root=synth_root, device='cpu')
    infer_cams(group_config(repo_root), None, single, **options)
    summary = infer_cams(group_config(repo_root), None, grouped, group_size=4, **options)
    assert summary == dict(done=24, skipped=0, total=24, unreadable=0)
    alone, linked = read_all(single), read_all(grouped)
    assert alone.keys() == linked.keys()
    differ = 0
    for name, cam_file in linked.items():
        # the image's own classes and size
        np.testing.assert_array_equal(cam_file['keys'], alone[name]['keys'])
        cams, single_cams = cam_file['cam'], alone[name]['cam']
        assert cams.shape == single_cams.shape and cams.max() <= 1
        differ += not np.allclose(cams, single_cams, atol=1e-4)
    assert differ > 12  # the partners change most images' maps

    os.remove(os.path.join(grouped, sorted(linked)[3]))
    again = infer_cams(group_config(repo_root), None, grouped, group_size=4, **options)
    assert again == dict(done=1, skipped=23, total=24, unreadable=0)
    assert read_all(grouped).keys() == linked.keys()


def test_group_size_needs_a_group_network(repo_root, synth_root, tmp_path):
    cfg = group_config(repo_root, 'cam_synthvoc.py')
    with pytest.raises(ValueError, match='group_size 4: .*CAMClassifier'):
        infer_cams(cfg, None, str(tmp_path), data_root=synth_root, device='cpu', group_size=4)
