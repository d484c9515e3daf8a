"""Training cost per image of CAM networks, measured side by side in one run.

    python tools/analysis_tools/benchmark_training.py CONFIG [CONFIG ...]
        [--batch-size 16] [--iters 5] [--repeats 3] [--cfg-options ...]

Each config's model is built with random weights (timing needs no trained
weights; an ordinary classifier is not loaded) and its optim wrapper from the
config. One batch of random images at the config's crop size with random
image labels is trained on: a warm-up step, then ``--iters`` steps, the
configs taking turns ``--repeats`` times so that a change in the machine's
load hits them alike. Prints a table of the median seconds per image and the
ratio to the first config; the last line is one JSON object keyed by config
name, each ``{"s_per_image": .., "ratio": ..}``.
"""

import argparse
import json
import os.path as osp
import time

from mmengine.config import DictAction
from prettytable import PrettyTable


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('configs', nargs='+', help='CAM network configs; the first is the base')
    parser.add_argument('--batch-size', type=int, default=16, help='images per step')
    parser.add_argument('--iters', type=int, default=5, help='timed steps per turn')
    parser.add_argument('--repeats', type=int, default=3, help='turns per config')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={}, help='applied to every config'
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, check_ranges  # after --help: imports wsss_mm

    check_ranges(
        parser,
        args,
        {'--batch-size': at_least(1), '--iters': at_least(1), '--repeats': at_least(1)},
    )
    return args


def random_batch(num_classes: int, batch_size: int, size: tuple, seed: int = 0) -> dict:
    """A batch as the dataloader gives it: uint8 images, labels in data samples."""
    import torch
    from mmseg.structures import SegDataSample

    g = torch.Generator().manual_seed(seed)
    samples = []
    for _ in range(batch_size):
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size))
        labels = (torch.rand(num_classes, generator=g) < 0.15).float()
        labels[torch.randint(num_classes, (1,), generator=g)] = 1
        sample.gt_labels = labels
        samples.append(sample)
    inputs = [torch.randint(0, 255, (3, *size), generator=g, dtype=torch.uint8) for _ in samples]
    return dict(inputs=inputs, data_samples=samples)


def main(args: argparse.Namespace) -> None:
    import numpy as np
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    from wsss_mm.apis.train import load_config
    from wsss_mm.registry import MODELS
    from wsss_mm.utils.setup_env import register_all_modules

    register_all_modules()
    runs = {}
    for path in args.configs:
        cfg = load_config(path, args.cfg_options)
        model = MODELS.build(cfg.model).train()
        with DefaultScope.overwrite_default_scope('wsss_mm'):
            wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
        size = tuple(cfg.model.data_preprocessor['size'])
        data = random_batch(model.num_classes, args.batch_size, size)
        model.train_step(data, wrapper)  # warm-up
        runs[osp.splitext(osp.basename(path))[0]] = (model, wrapper, data, [])
    for _ in range(args.repeats):
        for model, wrapper, data, times in runs.values():
            start = time.perf_counter()
            for _ in range(args.iters):
                model.train_step(data, wrapper)
            times.append((time.perf_counter() - start) / (args.iters * args.batch_size))
    base = float(np.median(next(iter(runs.values()))[3]))
    table = PrettyTable(['config', 's / image', 'x first'], align='r')
    table.align['config'] = 'l'
    summary = {}
    for name, (_, _, _, times) in runs.items():
        seconds = float(np.median(times))
        summary[name] = dict(s_per_image=round(seconds, 5), ratio=round(seconds / base, 2))
        table.add_row([name, f'{seconds:.4f}', f'{seconds / base:.2f}'])
    print(table)
    print(json.dumps(summary))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
