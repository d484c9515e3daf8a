"""tools/analysis_tools: where the CAM mass goes, on CAM files made from the masks."""

import json
import os
import os.path as osp

import numpy as np
import pytest

from wsss_mm.cams.cam_file import cam_path, legacy_cam_path, load_cam_file, save_cam_file
from wsss_mm.utils.io import read_mask, read_split


def write_cams(folder, root, img_ids, make_map):
    for img_id in img_ids:
        gt = read_mask(osp.join(root, 'SegmentationClass', img_id + '.png'))
        keys = np.array(sorted(set(np.unique(gt).tolist()) - {0, 255}), np.int64)
        cams = (
            np.stack([make_map(gt, k) for k in keys])
            if len(keys)
            else np.zeros((0, *gt.shape), np.float32)
        )
        save_cam_file(cam_path(folder, img_id), keys, cams.astype(np.float32))


def test_cam_mass_shares_by_hand(synth_root, tmp_path, run_tool):
    img_ids = read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))
    exact, uniform = str(tmp_path / 'exact'), str(tmp_path / 'uniform')
    write_cams(exact, synth_root, img_ids, lambda gt, k: (gt == k).astype(np.float32))
    write_cams(uniform, synth_root, img_ids, lambda gt, k: np.ones(gt.shape, np.float32))
    proc = run_tool(
        'tools/analysis_tools/cam_mass.py',
        '--cam-dirs',
        f'exact={exact}',
        f'uniform={uniform}',
        '--data-root',
        synth_root,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result['exact'] == dict(
        object=1.0, other_objects=0.0, background=0.0, coverage=1.0, pairs=result['exact']['pairs']
    )
    # a uniform map spreads its mass as the pixels: the mean share of the
    # class's own pixels among the valid ones
    shares = []
    for img_id in img_ids:
        gt = read_mask(osp.join(synth_root, 'SegmentationClass', img_id + '.png'))
        valid = gt != 255
        shares += [(gt == k).sum() / valid.sum() for k in set(np.unique(gt)) - {0, 255}]
    assert result['uniform']['pairs'] == result['exact']['pairs'] == len(shares)
    assert abs(result['uniform']['object'] - np.mean(shares)) < 1e-3
    assert result['uniform']['coverage'] == 1.0
    total = sum(result['uniform'][k] for k in ('object', 'other_objects', 'background'))
    assert abs(total - 1) < 1e-3


def test_cam_mass_bad_input(synth_root, tmp_path, run_tool):
    proc = run_tool(
        'tools/analysis_tools/cam_mass.py',
        '--cam-dirs',
        str(tmp_path),
        '--data-root',
        synth_root,
        check=False,
    )
    assert proc.returncode == 2 and 'NAME=DIR' in proc.stderr
    proc = run_tool(
        'tools/analysis_tools/cam_mass.py',
        '--cam-dirs',
        f'x={tmp_path}/none',
        '--data-root',
        synth_root,
        check=False,
    )
    assert proc.returncode == 2 and 'CAM folder not found' in proc.stderr


def test_cam_mass_reads_legacy_npy_only_with_allow_pickle(synth_root, tmp_path, run_tool):
    img_ids = read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))[:3]
    split = tmp_path / 'few.txt'
    split.write_text('\n'.join(img_ids))
    exact, legacy = str(tmp_path / 'exact'), str(tmp_path / 'legacy')
    write_cams(exact, synth_root, img_ids, lambda gt, k: (gt == k).astype(np.float32))
    os.makedirs(legacy)
    for img_id in img_ids:  # the same CAMs in the legacy format (a pickled dict)
        np.save(legacy_cam_path(legacy, img_id), load_cam_file(cam_path(exact, img_id)))
    args = [
        'tools/analysis_tools/cam_mass.py',
        '--cam-dirs',
        f'legacy={legacy}',
        '--data-root',
        synth_root,
        '--split',
        str(split),
    ]
    proc = run_tool(*args, check=False)
    assert proc.returncode == 2 and '--allow-pickle' in proc.stderr
    assert f'{img_ids[0]}.npy' in proc.stderr
    result = json.loads(run_tool(*args, '--allow-pickle').stdout.strip().splitlines()[-1])
    assert result['legacy']['object'] == 1.0


def test_benchmark_training_compares_configs_side_by_side(run_tool, repo_root):
    quickstart = osp.join(repo_root, 'configs', 'quickstart')
    proc = run_tool(
        'tools/analysis_tools/benchmark_training.py',
        osp.join(quickstart, 'cam_synthvoc.py'),
        osp.join(quickstart, 'pnoc_synthvoc.py'),
        '--batch-size',
        '2',
        '--iters',
        '1',
        '--repeats',
        '1',
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert list(result) == ['cam_synthvoc', 'pnoc_synthvoc']
    assert result['cam_synthvoc']['ratio'] == 1.0 and result['pnoc_synthvoc']['s_per_image'] > 0
    bad = run_tool(
        'tools/analysis_tools/benchmark_training.py', 'x.py', '--iters', '0', check=False
    )
    assert bad.returncode == 2 and '--iters' in bad.stderr


@pytest.mark.slow  # three runs of the tool (imports, model builds)
def test_cpn_refinement_spread_of_a_uniform_affinity(synth_root, tmp_path, run_tool, repo_root):
    """PCM whose embedding gives every pixel the same direction averages each map over
    the whole grid (spread 1, its peak the seed's mean); its initialisation does not."""
    import torch
    from mmengine.config import Config

    import wsss_mm
    from wsss_mm.registry import MODELS

    wsss_mm.register_all_modules(init_default_scope=False)
    config = osp.join(repo_root, 'configs', 'quickstart', 'cpn_synthvoc.py')
    torch.manual_seed(0)
    model = MODELS.build(Config.fromfile(config).model)
    model.init_weights()
    with torch.no_grad():  # every embedding channel: the sum of the ReLU'd projections
        model.pcm.embed.weight.zero_()
        model.pcm.embed.weight[:, 3:] = 1
    torch.save(dict(state_dict=model.state_dict()), tmp_path / 'cpn.pth')
    args = ('tools/analysis_tools/cpn_refinement.py', config, str(tmp_path / 'cpn.pth'))
    split = tmp_path / 'split.txt'
    split.write_text(
        '\n'.join(read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))[:4])
    )
    args += ('--data-root', synth_root, '--split', str(split))
    uniform = json.loads(run_tool(*args).stdout.strip().splitlines()[-1])
    assert uniform['images'] > 0 and uniform['pairs'] >= uniform['images']
    assert abs(uniform['spread'] - 1) < 1e-3 and uniform['pcm_peak'] < 0.5
    initial = json.loads(run_tool(*args, '--reinit-refinement').stdout.strip().splitlines()[-1])
    assert initial['spread'] < 0.999
    cam_config = osp.join(repo_root, 'configs', 'quickstart', 'cam_synthvoc.py')
    bad = run_tool(*args[:1], cam_config, *args[2:], check=False)
    assert bad.returncode == 2 and 'not a CPN' in bad.stderr
