"""tools/analysis_tools/benchmark_stages.py on the CPU at a tiny scale: the table,
the last-line JSON, a stage out of memory, and clear errors for bad input."""

import json

import pytest
from analysis_tools.benchmark_stages import STAGES, assign_configs

KEYS = {
    'images_per_s',
    's_per_image',
    'peak_mb',
    'base_mb',
    'voc_train_h',
    'train_aug_h',
    'config',
    'input',
    'error',
}


def test_stages_table_and_json(run_tool):
    proc = run_tool(
        'tools/analysis_tools/benchmark_stages.py',
        '--stages',
        'random_walk',
        'slic',
        '--num-images',
        '1',
        '--scale',
        '0.125',
        '--threads',
        '1',
        timeout=300,
    )
    lines = proc.stdout.strip().splitlines()
    summary = json.loads(lines[-1])
    assert list(summary) == ['slic', 'random_walk']  # the tool's order
    for name, row in summary.items():
        assert set(row) == KEYS and row['error'] is None, row
        assert row['images_per_s'] > 0 and row['peak_mb'] >= row['base_mb'] > 0
        for key, num in (('voc_train_h', 1464), ('train_aug_h', 10582)):
            assert row[key] == pytest.approx(row['s_per_image'] * num / 3600, abs=1e-3)
    assert summary['random_walk']['config'] == 'affinity/affinity_r50_voc_irn.py'
    assert '64x64 walk 16x16' in summary['random_walk']['input']  # stride 4
    table = '\n'.join(lines[:-1])
    assert 'NOT paper resolution' in table
    assert 'VOC train (1,464)' in table and 'train_aug (10,582)' in table
    assert '| random_walk' in table and '| slic' in table


def test_a_stage_out_of_memory_fails_alone(run_tool, repo_root):
    proc = run_tool(
        'tools/analysis_tools/benchmark_stages.py',
        'random_walk=' + f'{repo_root}/configs/affinity/affinity_r50_voc_irn.py',
        '--stages',
        'random_walk',
        '--num-images',
        '1',
        '--scale',
        '0.125',
        '--memory-limit-gb',
        '0.01',
        timeout=300,
    )
    row = json.loads(proc.stdout.strip().splitlines()[-1])['random_walk']
    assert row['images_per_s'] is None and 'out of memory (limit 0.01 GB' in row['error']
    assert 'random_walk: ' in proc.stdout  # the error is printed above the table


@pytest.mark.parametrize(
    'args, message',
    [
        (['--stages', 'crf', 'walk'], "unknown stage(s) ['walk']"),
        (['configs/none.py'], 'config not found: configs/none.py'),
        (['crf=configs/none.py'], 'config not found: configs/none.py'),
        (['wal=configs/cam/cam_r50_voc.py'], 'unknown stage "wal"'),
        (['--num-images', '0'], 'argument --num-images: must be >= 1, got 0'),
    ],
)
def test_bad_input_is_named(run_tool, args, message):
    proc = run_tool('tools/analysis_tools/benchmark_stages.py', *args, check=False)
    assert proc.returncode == 2 and message in proc.stderr


def test_bare_configs_replace_the_stages_their_model_fits(repo_root):
    cfg = f'{repo_root}/configs/quickstart/affinity_synthvoc.py'
    assigned = assign_configs([cfg, f'infer_cams={repo_root}/configs/cam/cam_r38d_voc.py'])
    assert set(assigned) == set(STAGES)
    assert [s for s, path in assigned.items() if path == cfg] == [
        'crf',
        'affinity_labels',
        'random_walk',
    ]
    assert assigned['infer_cams'].endswith('cam/cam_r38d_voc.py')
    assert assign_configs([f'{repo_root}/configs/cpn/cpn_r38_voc.py'])['slic'].endswith(
        'cpn/cpn_r38_voc.py'
    )
