"""Numeric options out of their range end the tool at parsing, with argparse's
exit code 2 and a message naming the flag, the allowed range and the value
(``wsss_mm.utils.cli.check_ranges``)."""

import argparse
import importlib.util
import os.path as osp
import sys

import pytest

from wsss_mm.utils.cli import ValueRange, at_least, between, check_ranges, positive

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def load_tool(path):
    """tools/<path> as a module (its ``__main__`` block does not run)."""
    name = 'tool_' + path.replace('/', '_')[: -len('.py')]
    spec = importlib.util.spec_from_file_location(name, osp.join(ROOT, 'tools', path))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_value_ranges():
    assert str(at_least(0)) == '>= 0' and str(positive()) == '> 0'
    assert str(between(0, 1)) == '>= 0 and <= 1'
    assert str(ValueRange(0, 1, high_open=True)) == '>= 0 and < 1'
    assert 0 in at_least(0) and -1 not in at_least(0) and 0 not in positive()
    assert float('inf') not in at_least(0) and float('nan') not in between(0, 1)
    assert 1 in between(0, 1) and 1 not in ValueRange(0, 1, high_open=True)


def test_check_ranges_names_the_flag(capsys):
    parser = argparse.ArgumentParser(prog='tool')
    parser.add_argument('--num-vis', type=int)
    parser.add_argument('--scales', type=float, nargs='+')
    check_ranges(parser, parser.parse_args([]), {'--num-vis': at_least(0)})  # None: unchecked
    with pytest.raises(SystemExit) as exc:
        check_ranges(parser, parser.parse_args(['--num-vis', '-1']), {'--num-vis': at_least(0)})
    assert exc.value.code == 2
    assert 'tool: error: argument --num-vis: must be >= 0, got -1' in capsys.readouterr().err
    with pytest.raises(SystemExit):
        args = parser.parse_args(['--scales', '1', '0'])
        check_ranges(parser, args, {'--scales': positive()})
    assert 'argument --scales: each value must be > 0, got 1 0' in capsys.readouterr().err


CASES = [
    (
        'eval_cams.py',
        ['--cam-dir', 'c', '--data-root', 'd', '--thresholds', '0.5', '5', '1'],
        'argument --thresholds: each value must be >= 0 and <= 1, got 0.5 5 1',
    ),
    (
        'eval_cams.py',
        ['--cam-dir', 'c', '--data-root', 'd', '--crf', '--workers', '-2'],
        'argument --workers: must be >= 0, got -2',
    ),
    (
        'infer_cams.py',
        ['cfg.py', 'ckpt.pth', '--out-dir', 'o', '--num-vis', '-1'],
        'argument --num-vis: must be >= 0, got -1',
    ),
    (
        'infer_cams.py',
        ['cfg.py', 'ckpt.pth', '--out-dir', 'o', '--scales', '1', '-0.5'],
        'argument --scales: each value must be > 0, got 1 -0.5',
    ),
    (
        'eval_saliency.py',
        ['--sal-dir', 's', '--data-root', 'd', '--thresholds', '-1', '0.5', '0.1'],
        'argument --thresholds: each value must be >= 0 and <= 1',
    ),
    (
        'eval_xai.py',
        ['cfg.py', 'ckpt.pth', '--detect-threshold', '2'],
        'argument --detect-threshold: must be >= 0 and <= 1, got 2',
    ),
    ('infer_saliency.py', ['cfg.py', 'c.pth', '--out-dir', 'o', '--scales', '0'], '--scales'),
    (
        'make_affinity_labels.py',
        ['cfg.py', '--cam-dir', 'c', '--out-dir', 'o', '--seed-threshold', '1.5'],
        'argument --seed-threshold: must be >= 0 and <= 1, got 1.5',
    ),
    (
        'make_pseudo_labels.py',
        ['cfg.py', 'c.pth', '--cam-dir', 'c', '--out-dir', 'o', '--workers', '-1'],
        'argument --workers: must be >= 0, got -1',
    ),
    ('train.py', ['cfg.py', '--epochs', '0'], 'argument --epochs: must be >= 1, got 0'),
    ('test.py', ['cfg.py', 'c.pth', '--wait-time', '-1'], 'argument --wait-time: must be >= 0'),
    (
        'test_robustness.py',
        ['--models', 'a:b', '--attacks', 'pgd', '--pgd-step-size', '0'],
        'argument --pgd-step-size: must be > 0, got 0',
    ),
    (
        'make_synthetic_voc.py',
        ['out', '--num-train', '1', '--num-val', '1', '--seed', '-1'],
        'argument --seed: must be >= 0, got -1',
    ),
    (
        'analysis_tools/cam_gallery.py',
        ['--cam-dirs', 'a=b', '--data-root', 'd', '--out', 'o.html', '--num', '0'],
        'argument --num: must be >= 1, got 0',
    ),
    (
        'analysis_tools/cam_mass.py',
        ['--cam-dirs', 'a=b', '--data-root', 'd', '--cover', '1'],
        'argument --cover: must be >= 0 and < 1, got 1',
    ),
    (
        'analysis_tools/cooccurrence.py',
        ['--data-root', 'd', '--out', 'c.npy', '--num-workers', '-1'],
        'argument --num-workers: must be >= 0, got -1',
    ),
    (
        'analysis_tools/benchmark.py',
        ['cfg.py', 'c.pth', '--what', 'advcam', '--steps', '0'],
        'argument --steps: must be >= 1, got 0',
    ),
    (
        'analysis_tools/benchmark_stages.py',
        ['--threads', '0'],
        'argument --threads: must be >= 1, got 0',
    ),
    (
        'analysis_tools/benchmark_training.py',
        ['cfg.py', '--iters', '0'],
        'argument --iters: must be >= 1, got 0',
    ),
]


@pytest.mark.parametrize('tool, argv, message', CASES, ids=[f'{c[0]} {c[1][-2]}' for c in CASES])
def test_tools_reject_values_out_of_range(tool, argv, message, monkeypatch, capsys):
    module = load_tool(tool)
    monkeypatch.setattr(sys, 'argv', [tool, *argv])
    with pytest.raises(SystemExit) as exc:
        module.parse_args()
    assert exc.value.code == 2
    assert message in capsys.readouterr().err
