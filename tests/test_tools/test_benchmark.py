"""tools/analysis_tools/benchmark.py's measurements on a tiny model: the loops give
the batched maps."""

import torch

from wsss_mm.registry import CAM_METHODS
from wsss_mm.testing.advcam_reference import reference_advcam
from wsss_mm.testing.benchmark import benchmark_advcam, benchmark_scorecam, format_benchmark


def test_benchmarks_compare_equal_outputs(tiny_cam_network):
    model = tiny_cam_network(width=4, num_classes=3).double()
    inputs = torch.randn(2, 3, 32, 32, dtype=torch.float64)
    labels = torch.tensor([[1.0, 0, 1], [0, 1, 0]], dtype=torch.float64)
    method = CAM_METHODS.build(dict(type='AdvCAM', preset='authors', steps=2))

    def reference():
        return torch.stack(
            [
                reference_advcam(
                    model, inputs[i : i + 1], labels[i], 'backbone.layer4', (1.0,), adv_iter=2
                )
                for i in range(2)
            ]
        )

    rows = benchmark_advcam(model, inputs, labels, method, reference, scales=(1.0,))
    assert [r['name'] for r in rows] == [
        'AdvCAM batched',
        'reference loop',
        'floor: fwd/map, bwd/step',
    ]
    assert rows[1]['max_rel_diff'] < 1e-10 and rows[2]['max_rel_diff'] is None
    rows += benchmark_scorecam(model, inputs, labels, batch_size=16)
    assert rows[-1]['max_rel_diff'] < 1e-10
    assert all(r['seconds'] > 0 for r in rows)
    table = format_benchmark(rows)
    assert 'ScoreCAM per channel' in table and 'peak MiB' in table


def test_benchmark_tool_in_float64(trained_cam, synth_root, run_tool):
    config, ckpt, _ = trained_cam
    proc = run_tool(
        'tools/analysis_tools/benchmark.py',
        config,
        ckpt,
        '--data-root',
        synth_root,
        '--what',
        'advcam',
        '--num-images',
        '1',
        '--steps',
        '1',
        '--scales',
        '1.0',
        '--repeat',
        '1',
        '--threads',
        '1',
        '--double',
    )
    assert 'torch.float64' in proc.stdout and 'batched / floor' in proc.stdout
    rows = [line.strip('|').split('|') for line in proc.stdout.splitlines() if '|' in line]
    diffs = [cells[-1].strip() for cells in rows if cells[0].strip() == 'reference loop']
    assert len(diffs) == 1 and float(diffs[0]) < 1e-10
    bad = run_tool(
        'tools/analysis_tools/benchmark.py',
        config,
        ckpt,
        '--what',
        'advcam',
        '--num-images',
        '0',
        check=False,
    )
    assert bad.returncode == 2 and 'argument --num-images: must be >= 1, got 0' in bad.stderr


def test_benchmark_tool_prints_help(run_tool):
    assert 'usage' in run_tool('tools/analysis_tools/benchmark.py', '--help').stdout
