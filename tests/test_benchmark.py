"""tools/benchmark.py's measurements on a tiny model: the loops give the batched maps."""
import torch

from conftest import run_tool, tiny_cam_network
from wsss_mm.apis.benchmark import benchmark_advcam, benchmark_scorecam, format_benchmark
from wsss_mm.registry import CAM_METHODS


def test_benchmarks_compare_equal_outputs():
    model = tiny_cam_network(width=4, num_classes=3)
    inputs, labels = torch.randn(2, 3, 32, 32), torch.tensor([[1., 0, 1], [0, 1, 0]])
    rows = benchmark_advcam(model, inputs, labels, CAM_METHODS.build(dict(type='AdvCAM', steps=2)),
                            scales=(1.0, 0.5))
    assert [r['name'] for r in rows] == ['AdvCAM batched', 'loop, same step',
                                         "loop, authors' step", 'floor: (T+1) fwd+bwd']
    assert rows[1]['max_rel_diff'] < 1e-4 and rows[2]['max_rel_diff'] < 1e-4
    rows += benchmark_scorecam(model, inputs, labels, batch_size=16)
    assert rows[-1]['max_rel_diff'] < 1e-4
    assert all(r['seconds'] > 0 for r in rows)
    table = format_benchmark(rows)
    assert 'ScoreCAM per channel' in table and 'peak MiB' in table


def test_benchmark_tool_in_float64(trained_cam, synth_root):
    config, ckpt, _ = trained_cam
    proc = run_tool('tools/benchmark.py', config, ckpt, '--data-root', synth_root,
                    '--what', 'advcam', '--num-images', '1', '--steps', '1', '--scales', '1.0',
                    '--repeat', '1', '--threads', '1', '--double')
    assert 'torch.float64' in proc.stdout and 'batched / floor' in proc.stdout
    diffs = [line.split()[-1] for line in proc.stdout.splitlines() if line.startswith('loop')]
    assert len(diffs) == 2 and all(float(d) < 1e-6 for d in diffs)
    bad = run_tool('tools/benchmark.py', config, ckpt, '--what', 'advcam', '--num-images', '0',
                   check=False)
    assert bad.returncode == 2 and '--num-images must be >= 1' in bad.stderr
