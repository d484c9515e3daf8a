"""The command lines: train, resume, infer (resumable), eval, and their bad input."""

import json
import os
import os.path as osp

import numpy as np

from wsss_mm.cams.cam_file import cam_path, legacy_cam_path, load_cam_file


def test_every_tool_prints_help(run_tool):
    for tool in [
        'train.py',
        'test.py',
        'infer_cams.py',
        'eval_cams.py',
        'make_synthetic_voc.py',
        'run_pipeline.py',
    ]:
        assert 'usage' in run_tool(f'tools/{tool}', '--help').stdout


def test_infer_then_eval_and_rerun_skips(trained_cam, synth_root, tmp_path, run_tool):
    config, ckpt, _ = trained_cam
    out = str(tmp_path / 'cams')
    vis = str(tmp_path / 'vis')
    proc = run_tool(
        'tools/infer_cams.py',
        config,
        ckpt,
        '--out-dir',
        out,
        '--data-root',
        synth_root,
        '--scales',
        '1.0',
        '0.5',
        '--vis-dir',
        vis,
        '--num-vis',
        '2',
        '--cfg-options',
        'cam_dataloader.num_workers=0',
    )
    assert '24 written, 0 already there' in proc.stdout
    assert len(os.listdir(vis)) == 2
    cam = load_cam_file(cam_path(out, 'synth_000000'))
    assert cam['cam'].shape[1:] == (64, 64)
    assert cam['cam'].max() <= 1 + 1e-6 and cam['cam'].min() >= 0
    assert np.all((cam['keys'] >= 1) & (cam['keys'] <= 20))

    # a killed run: two files gone, one cut short, a stale temporary file left behind
    assert sorted(os.listdir(out))[:3] == ['.recipe.json', 'synth_000000.npz', 'synth_000001.npz']
    os.remove(cam_path(out, 'synth_000003'))
    os.remove(cam_path(out, 'synth_000007'))
    with open(cam_path(out, 'synth_000009'), 'r+b') as f:
        f.truncate(100)
    open(osp.join(out, '.synth_000003.npz.abc.tmp.npz'), 'w').close()
    rerun = ['tools/infer_cams.py', config, ckpt, '--out-dir', out, '--data-root', synth_root]
    options = ['--cfg-options', 'cam_dataloader.num_workers=0']
    proc = run_tool(*rerun, '--scales', '1.0', '0.5', *options)
    assert (
        '3 written (1 of them replace files that were not whole), 21 already there' in proc.stdout
    )
    assert load_cam_file(cam_path(out, 'synth_000009'))['cam'].shape[1:] == (64, 64)
    # another recipe (other scales, another method) is refused, naming what differs
    proc = run_tool(*rerun, '--scales', '1.0', '--method', 'GradCAM', *options, check=False)
    assert proc.returncode == 2
    assert "cam_infer.scales: [1.0, 0.5] -> [1.0]; method: 'CAM' -> 'GradCAM'" in proc.stderr
    assert '--overwrite' in proc.stderr and 'another recipe' in proc.stderr

    proc = run_tool(
        'tools/eval_cams.py',
        '--cam-dir',
        out,
        '--data-root',
        synth_root,
        '--thresholds',
        '0.1',
        '0.5',
        '0.1',
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert {'miou', 'threshold', 'floor_miou'} <= set(result)
    assert 0 <= result['miou'] <= 100
    assert result['threshold'] in (0.1, 0.2, 0.3, 0.4, 0.5)
    assert 'aeroplane' in proc.stdout


def test_eval_names_missing_cam_files(synth_root, tmp_path, run_tool):
    out = tmp_path / 'few'
    out.mkdir()
    proc = run_tool(
        'tools/eval_cams.py', '--cam-dir', str(out), '--data-root', synth_root, check=False
    )
    assert proc.returncode == 2
    assert '24 of 24 images' in proc.stderr and 'synth_000000' in proc.stderr


def test_eval_legacy_npy_cams_only_with_allow_pickle(synth_root, tmp_path, run_tool):
    """A folder of legacy pickled .npy dicts (IRN's format) is refused with exit 2 naming
    the file and --allow-pickle, and read with the flag."""
    from wsss_mm.datasets.voc_layout import find_mask
    from wsss_mm.utils.io import read_mask, read_split

    ids = read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))[:4]
    split = tmp_path / 'few.txt'
    split.write_text('\n'.join(ids))
    cam_dir = str(tmp_path / 'legacy')
    os.makedirs(cam_dir)
    for img_id in ids:
        gt = read_mask(find_mask([osp.join(synth_root, 'SegmentationClass')], img_id))
        keys = np.array([k for k in np.unique(gt) if 0 < k < 255], np.int64)
        np.save(
            legacy_cam_path(cam_dir, img_id),
            {'keys': keys, 'cam': np.stack([gt == k for k in keys]).astype(np.float32)},
        )
    args = [
        'tools/eval_cams.py',
        '--cam-dir',
        cam_dir,
        '--data-root',
        synth_root,
        '--split',
        str(split),
        '--thresholds',
        '0.5',
        '0.5',
        '0.1',
    ]
    proc = run_tool(*args, check=False)
    assert proc.returncode == 2 and '--allow-pickle' in proc.stderr
    assert f'{ids[0]}.npy (and 3 more)' in proc.stderr and 'Traceback' not in proc.stderr
    result = json.loads(run_tool(*args, '--allow-pickle').stdout.strip().splitlines()[-1])
    assert result['miou'] == 100 and result['num_images'] == 4
    assert '--allow-pickle' in run_tool('tools/eval_cams.py', '--help').stdout


def test_infer_rejects_unknown_method_and_missing_checkpoint(
    synth_root, tmp_path, run_tool, quickstart_config
):
    proc = run_tool(
        'tools/infer_cams.py',
        quickstart_config,
        str(tmp_path / 'none.pth'),
        '--out-dir',
        str(tmp_path),
        '--data-root',
        synth_root,
        '--method',
        'NoSuchCAM',
        check=False,
    )
    assert proc.returncode == 2 and 'unknown CAM method "NoSuchCAM"' in proc.stderr
    assert "'GradCAM'" in proc.stderr
    proc = run_tool(
        'tools/infer_cams.py',
        quickstart_config,
        str(tmp_path / 'none.pth'),
        '--out-dir',
        str(tmp_path),
        '--data-root',
        synth_root,
        check=False,
    )
    assert proc.returncode == 2 and 'none.pth' in proc.stderr
    proc = run_tool(
        'tools/infer_cams.py',
        quickstart_config,
        str(tmp_path / 'none.pth'),
        '--out-dir',
        str(tmp_path),
        '--group-size',
        '0',
        check=False,
    )
    assert proc.returncode == 2 and 'argument --group-size: must be >= 1, got 0' in proc.stderr


def test_train_names_a_missing_data_root_and_config(tmp_path, run_tool, quickstart_config):
    proc = run_tool(
        'tools/train.py', quickstart_config, '--data-root', str(tmp_path / 'gone'), check=False
    )
    assert proc.returncode == 2 and 'gone' in proc.stderr
    proc = run_tool('tools/train.py', 'configs/nope.py', check=False)
    assert proc.returncode == 2 and 'configs/nope.py' in proc.stderr


def test_resume_continues_with_weights_only_loading(
    trained_cam, synth_root, run_tool, tiny_train_options, monkeypatch
):
    config, _, work_dir = trained_cam
    # torch's switch to unpickle everything stays off: the resume loads weights only
    monkeypatch.delenv('TORCH_FORCE_NO_WEIGHTS_ONLY_LOAD', raising=False)
    proc = run_tool(
        'tools/train.py',
        config,
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--resume',
        '--cfg-options',
        *tiny_train_options[:-2],
        'train_cfg.max_epochs=2',
    )
    log = proc.stdout + proc.stderr
    assert 'resumed epoch: 1' in log.lower() or 'Load checkpoint from' in log
    assert osp.isfile(osp.join(work_dir, 'epoch_2.pth'))


def test_non_finite_loss_stops_training(
    synth_root, tmp_path, run_tool, quickstart_config, tiny_train_options
):
    proc = run_tool(
        'tools/train.py',
        quickstart_config,
        '--data-root',
        synth_root,
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        *tiny_train_options,
        'model.data_preprocessor.std=[0,0,0]',
        check=False,
    )  # inputs / 0
    assert proc.returncode == 2
    assert 'non-finite loss at iteration' in proc.stderr and 'loss_cls' in proc.stderr


def test_test_tool_reports_multilabel_metrics(trained_cam, synth_root, tmp_path, run_tool):
    config, ckpt, _ = trained_cam
    proc = run_tool(
        'tools/test.py',
        config,
        ckpt,
        '--data-root',
        synth_root,
        '--work-dir',
        str(tmp_path),
        '--cfg-options',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    )
    assert 'multilabel/mAP' in proc.stdout + proc.stderr
