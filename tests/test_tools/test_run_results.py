"""tools/analysis_tools/run_results.sh: --help at once, bad input in one line, and the
plumbing on a tiny parts-regime set with tiny budgets (one seed; SegMix, which runs the
CAM row first and takes over its stages up to the pseudo masks): records, the page, and
a rerun that resumes."""

import json
import os
import os.path as osp
import subprocess
import sys
import time

import pytest

SCRIPT = 'tools/analysis_tools/run_results.sh'
# one epoch everywhere, single-scale CAMs, no worker processes
TINY = [
    'train_dataloader.batch_size=8',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'cam_dataloader.num_workers=0',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
    'cam_infer.scales=(1.0,)',
    'pipeline.seg_options.val_dataloader.num_workers=0',
    'pipeline.seg_options.val_dataloader.persistent_workers=False',
] + [
    f'pipeline.{kind}_options.{key}'
    for kind in ('affinity', 'seg')
    for key in (
        'train_cfg.max_epochs=1',
        'train_dataloader.num_workers=0',
        'train_dataloader.persistent_workers=False',
    )
]


def _run(repo_root, *args, check=True):
    proc = subprocess.run(
        ['bash', SCRIPT, *args],
        cwd=repo_root,
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHON=sys.executable),
        timeout=900,
    )
    if check and proc.returncode != 0:
        raise AssertionError(f'{args}: {proc.returncode}\n{proc.stdout}\n{proc.stderr[-3000:]}')
    return proc


def test_help_is_quick_and_bad_input_is_one_line(repo_root, tmp_path):
    start = time.perf_counter()
    proc = _run(repo_root, '--help')
    assert time.perf_counter() - start < 3 and 'DATA_DEFAULT DATA_PARTS' in proc.stdout
    for args, words in [
        ([str(tmp_path / 'none'), '-'], 'data root not found'),
        (['-', str(tmp_path)], 'is not a parts-regime set'),
        (['-', '-'], 'nothing to run'),
        ([str(tmp_path), '-', '--methods', 'SEAM'], 'unknown method SEAM'),
        ([str(tmp_path), '-', '--seeds', '-1'], 'a training seed is an integer >= 0, got -1'),
        ([str(tmp_path), '-', '--epochs', '0'], '--epochs must be an integer >= 1'),
    ]:
        proc = _run(repo_root, *args, check=False)
        assert proc.returncode == 2 and words in proc.stderr, (args, proc.stderr)
    assert os.listdir(tmp_path) == []


@pytest.mark.slow
def test_tiny_results_page_then_resume(repo_root, tmp_path, run_tool):
    data = str(tmp_path / 'tiny_parts')
    run_tool(
        'tools/make_synthetic_voc.py',
        data,
        *('--num-train', '16', '--num-val', '4', '--size', '64', '--regime', 'parts'),
    )
    records, page = tmp_path / 'records', tmp_path / 'results.md'
    args = [
        '-',
        data,
        *('--methods', 'SegMix', '--seeds', '0', '--epochs', '1'),
        *('--work-root', str(tmp_path / 'runs'), '--records', str(records)),
        *('--out', str(page), '--cfg-options', *TINY),
    ]
    proc = _run(repo_root, *args)
    # SegMix needs the CAM run of its seed: run first, recorded too
    assert proc.stdout.index('CAM, seed 0, tiny_parts: running') < proc.stdout.index(
        'SegMix, seed 0, tiny_parts: running'
    )
    saved = {}
    for name in ('cam', 'segmix'):
        with open(records / 'tiny_parts' / f'{name}_seed0.json') as f:
            saved[name] = json.load(f)
    assert saved['segmix']['reused_stages'][:3] == [
        'affinity_labels',
        'eval_cams',
        'eval_classifier',
    ]
    assert {'train_cam', 'pseudo_masks'} <= set(saved['segmix']['reused_stages'])
    for key in ('pseudo_miou', 'seed_miou'):
        assert saved['segmix']['numbers'][key] == saved['cam']['numbers'][key]
    assert saved['segmix']['val_map'] == saved['cam']['val_map']
    assert saved['segmix']['config'] == 'segmix_pipeline_synthvoc.py'
    assert saved['cam']['command'].startswith(
        'python tools/run_pipeline.py configs/quickstart/pipeline_synthvoc.py --data-root '
    )
    assert 'train_cfg.max_epochs=1' in saved['cam']['command']
    assert 'pipeline.seg_options.train_cfg.max_epochs=10' in saved['segmix']['command']
    text = page.read_text()
    assert text.count('| CAM |') == text.count('| SegMix |') == 1
    assert 'parts regime' in text
    # a record lost (as if killed before it was written): the run resumes, every stage done
    os.remove(records / 'tiny_parts' / 'segmix_seed0.json')
    proc = _run(repo_root, *args)
    assert '[results] CAM' not in proc.stdout  # recorded: not run again
    assert 'SegMix, seed 0, tiny_parts: running' in proc.stdout
    log = (tmp_path / 'runs' / 'tiny_parts' / 'segmix_seed0' / 'run.log').read_text()
    assert log.count('train_seg: already done') == 1
    assert osp.isfile(records / 'tiny_parts' / 'segmix_seed0.json') and page.read_text() == text
