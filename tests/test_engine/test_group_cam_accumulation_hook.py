"""GroupCAMAccumulationHook: the anchors' training maps written as CAM files and
max-accumulated over epochs (the authors' maps of Group-WSSS)."""

import os
import os.path as osp
from types import SimpleNamespace

import numpy as np
import pytest
import torch
from mmseg.structures import SegDataSample

from wsss_mm.cams.cam_file import cam_path, load_cam_file
from wsss_mm.engine.hooks import GroupCAMAccumulationHook
from wsss_mm.registry import HOOKS
from wsss_mm.utils.manifest import RecipeMismatchError


def sample(img_id, classes, ori_shape=(6, 8), img_shape=(8, 8), flip=False):
    data = SegDataSample(
        metainfo=dict(img_id=img_id, ori_shape=ori_shape, img_shape=img_shape, flip=flip)
    )
    label = torch.zeros(3)
    label[list(classes)] = 1
    data.gt_labels = label
    return data


def record(cams, scores, samples, group_size=2, input_shape=(8, 8)):
    return dict(
        cams=torch.as_tensor(cams, dtype=torch.float32),
        scores=torch.as_tensor(scores, dtype=torch.float32),
        group_size=group_size,
        input_shape=input_shape,
        data_samples=samples,
    )


def hook_in(tmp_path, **kwargs):
    hook = GroupCAMAccumulationHook(**kwargs)
    hook.cam_dir = str(tmp_path)
    return hook


def ramp(direction=1.0):
    """(8, 8) maps rising along the width (falling with direction -1)."""
    x = torch.arange(8.0) * direction
    return (x - x.min()).expand(8, 8).clone()


def test_writes_anchor_maps_above_the_score_threshold_then_the_missing_ones_last(tmp_path):
    hook = hook_in(tmp_path, score_threshold=0.1)
    cams = torch.zeros(4, 3, 8, 8)
    cams[0, 0], cams[0, 1], cams[2, 2] = ramp(), ramp(-1), ramp()
    samples = [sample('a', [0, 1]), sample('p', [0]), sample('b', [2]), sample('q', [2])]
    scores = [[0.9, 0.05, 0.0], [0.9] * 3, [0.0, 0.0, 0.5], [0.9] * 3]
    hook.write(record(cams, scores, samples), last_epoch=False)
    assert sorted(os.listdir(tmp_path)) == ['a.npz', 'b.npz']  # the anchors only
    a = load_cam_file(cam_path(str(tmp_path), 'a'))
    assert a['keys'].tolist() == [1]  # class 1 scored 0.05 < 0.1
    assert a['cam'].shape == (1, 6, 8) and a['cam'].max() == pytest.approx(1.0)
    assert np.all(np.diff(a['cam'][0], axis=1) >= 0)  # the ramp, resized to the image
    # the last epoch adds the labelled class still missing, whatever its score
    hook.write(record(cams, scores, samples), last_epoch=True)
    assert load_cam_file(cam_path(str(tmp_path), 'a'))['keys'].tolist() == [1, 2]


def test_maps_are_max_accumulated_and_resume_from_the_files(tmp_path):
    samples = [sample('a', [0]), sample('p', [0])]
    first, second = torch.zeros(2, 3, 8, 8), torch.zeros(2, 3, 8, 8)
    first[0, 0], second[0, 0] = ramp(), ramp(-1)
    hook_in(tmp_path).write(record(first, [[1.0] * 3] * 2, samples), False)
    # a new hook (a resumed training) continues from the file
    hook_in(tmp_path).write(record(second, [[1.0] * 3] * 2, samples), False)
    cam = load_cam_file(cam_path(str(tmp_path), 'a'))['cam'][0]
    rising, falling = cam[:, -1], cam[:, 0]
    assert np.allclose(rising, 1.0) and np.allclose(falling, 1.0)
    assert cam.min() > 0.4  # the maximum of the two ramps
    # negative maps: ReLU, then an all-zero map stays zero (no division by zero)
    hook_in(tmp_path).write(
        record(-torch.ones(2, 3, 8, 8), [[1.0] * 3] * 2, [sample('z', [1]), samples[1]]), False
    )
    assert np.all(load_cam_file(cam_path(str(tmp_path), 'z'))['cam'] == 0)


def test_padding_is_cut_off_and_flips_undone(tmp_path):
    cams = torch.zeros(2, 3, 8, 8)
    cams[0, 0, :, :4] = ramp()[:, :4]  # the image is the left half of the padded input
    cams[0, 0, :, 4:] = 100.0  # padding: must not count
    flipped = sample('f', [0], ori_shape=(8, 4), img_shape=(8, 4), flip=True)
    hook_in(tmp_path).write(record(cams, [[1.0] * 3] * 2, [flipped, sample('p', [0])]), False)
    cam = load_cam_file(cam_path(str(tmp_path), 'f'))['cam'][0]
    assert cam.shape == (8, 4)
    assert np.all(np.diff(cam, axis=1) <= 0)  # the rising ramp, flipped back: falling
    assert cam[:, 0].max() == pytest.approx(1.0)


def test_a_file_that_does_not_open_is_written_anew(tmp_path):
    path = cam_path(str(tmp_path), 'a')
    with open(path, 'wb') as f:
        f.write(b'not a CAM file')
    cams = torch.zeros(2, 3, 8, 8)
    cams[0, 0] = ramp()
    with pytest.warns(UserWarning, match='written anew'):
        hook_in(tmp_path).write(
            record(cams, [[1.0] * 3] * 2, [sample('a', [0]), sample('p', [0])]), False
        )
    assert load_cam_file(path)['keys'].tolist() == [1]


class Network(torch.nn.Module):
    record_train_cams = False
    train_cams = None


def fake_runner(tmp_path, pipeline, epoch=0, max_epochs=3, model=None, seed=0, iteration=0):
    cfg = dict(train_dataloader=dict(dataset=dict(pipeline=pipeline)), randomness=dict(seed=seed))
    return SimpleNamespace(
        cfg=cfg,
        work_dir=str(tmp_path),
        model=model or Network(),
        epoch=epoch,
        iter=iteration,
        max_epochs=max_epochs,
    )


def maps_in(folder):
    return sorted(name for name in os.listdir(folder) if name.endswith('.npz'))


def test_hook_checks_network_and_pipeline_and_skips_the_first_epoch(tmp_path):
    hook = HOOKS.build(dict(type='GroupCAMAccumulationHook', out_dir='maps'))
    squash = [dict(type='LoadImage'), dict(type='Resize', scale=(8, 8), keep_ratio=False)]
    runner = fake_runner(tmp_path, squash)
    hook.before_train(runner)
    assert runner.model.record_train_cams and osp.isdir(tmp_path / 'maps')
    cams = torch.zeros(2, 3, 8, 8)
    cams[0, 0] = ramp()
    runner.model.train_cams = record(cams, [[1.0] * 3] * 2, [sample('a', [0]), sample('p', [0])])
    hook.after_train_iter(runner, 0)  # epoch 0 < start_epoch 1: nothing
    assert not maps_in(tmp_path / 'maps')
    # a second hook on the same training: the last epoch's maps alone, in another folder
    last = HOOKS.build(dict(type='GroupCAMAccumulationHook', out_dir='last', start_epoch=2))
    last.before_train(runner)
    runner.epoch = 1
    runner.model.train_cams = record(cams, [[1.0] * 3] * 2, [sample('a', [0]), sample('p', [0])])
    hook.after_train_iter(runner, 0)
    last.after_train_iter(runner, 0)
    assert maps_in(tmp_path / 'maps') == ['a.npz'] and not maps_in(tmp_path / 'last')
    runner.epoch = 2
    hook.after_train_iter(runner, 0)
    last.after_train_iter(runner, 0)
    assert maps_in(tmp_path / 'last') == ['a.npz']
    hook.after_train(runner)
    assert not runner.model.record_train_cams and runner.model.train_cams is None

    crop = squash + [dict(type='RandomCrop', crop_size=(4, 4))]
    with pytest.raises(ValueError, match='crops \\(RandomCrop\\)'):
        hook.before_train(fake_runner(tmp_path, crop))
    with pytest.raises(TypeError, match='keeps its training maps'):
        hook.before_train(fake_runner(tmp_path, squash, model=torch.nn.Linear(1, 1)))
    with pytest.raises(ValueError, match='score_threshold'):
        GroupCAMAccumulationHook(score_threshold=2.0)


def test_a_folder_of_another_training_is_refused(tmp_path):
    """The maps' folder knows its training: a resumed training of the same recipe
    continues it, one that starts over starts the maps over, another recipe's
    folder (or maps without a record) is refused and kept."""
    squash = [dict(type='LoadImage'), dict(type='Resize', scale=(8, 8), keep_ratio=False)]
    hook = GroupCAMAccumulationHook(out_dir='maps')
    cams = torch.zeros(2, 3, 8, 8)
    cams[0, 0] = ramp()

    def train(**kwargs):
        hook.before_train(fake_runner(tmp_path, squash, **kwargs))
        hook.write(record(cams, [[1.0] * 3] * 2, [sample('a', [0]), sample('p', [0])]), False)

    train()
    assert osp.isfile(tmp_path / 'maps' / '.recipe.json')
    hook.before_train(fake_runner(tmp_path, squash, epoch=1, iteration=5))  # resumed
    assert maps_in(tmp_path / 'maps') == ['a.npz']
    hook.before_train(fake_runner(tmp_path, squash))  # started over
    assert maps_in(tmp_path / 'maps') == []
    train()
    with pytest.raises(RecipeMismatchError, match='seed: 0 -> 1'):
        hook.before_train(fake_runner(tmp_path, squash, seed=1, epoch=1, iteration=5))
    with pytest.raises(RecipeMismatchError, match='seed: 0 -> 1'):
        hook.before_train(fake_runner(tmp_path, squash, seed=1))
    os.remove(tmp_path / 'maps' / '.recipe.json')
    with pytest.raises(RecipeMismatchError, match='no recipe record'):
        hook.before_train(fake_runner(tmp_path, squash))
    assert maps_in(tmp_path / 'maps') == ['a.npz']  # nothing lost


def test_authors_quickstart_writes_every_training_image(
    synth_root, tmp_path, run_tool, repo_root, tiny_train_options
):
    """Two epochs of the authors' preset through tools/train.py (batches of two groups
    of three): after the last epoch every training image has a CAM file at its size."""
    work_dir = str(tmp_path / 'work')
    run_tool(
        'tools/train.py',
        osp.join(repo_root, 'configs', 'quickstart', 'group_synthvoc_authors.py'),
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *tiny_train_options,
        'train_dataloader.batch_size=6',
        'train_cfg.max_epochs=2',
        'train_cfg.val_interval=100',
        'param_scheduler.0.end=2',
        'default_hooks.checkpoint.interval=2',
    )
    cam_dir = osp.join(work_dir, 'group_cams')
    with open(osp.join(synth_root, 'ImageSets', 'Segmentation', 'train.txt')) as f:
        ids = f.read().split()
    assert maps_in(cam_dir) == sorted(i + '.npz' for i in ids)
    for img_id in ids[:5]:
        data = load_cam_file(cam_path(cam_dir, img_id))
        assert data['cam'].shape[1:] == (64, 64)  # squashed to 128 for training
        assert 0 <= data['cam'].min() and data['cam'].max() <= 1
