"""Benchmark the batched attribution methods against straightforward loops.

    python tools/analysis_tools/benchmark.py CONFIG CHECKPOINT --what advcam
        [--num-images 4] [--scales 1.0 0.5 1.5] [--steps 27] [--threads N]
    python tools/analysis_tools/benchmark.py CONFIG CHECKPOINT --what scorecam
        [--batch-size 32]

advcam: AdvCAM with the authors' preset, batched (every (image, flip, class) row of
a scale in one batch), against an independent re-implementation of the authors'
per-image, per-scale, per-class loop (``wsss_mm/testing/advcam_reference.py``:
hooked Grad-CAM, one class and one scale at a time, an image and its flip as one
batch), and against its floor: over all rows, one forward pass per summed map and one
backward pass per climbing step. scorecam: Score-CAM in batches of masked images
against one forward pass per channel. Both run on the same model and images and print
a table of times, ratios, peak memory and the largest relative difference of the
outputs.

The harness (``benchmark_advcam``, ``benchmark_scorecam``, ``compare``,
``format_benchmark``) is :mod:`wsss_mm.testing.benchmark`.
"""

import argparse

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CAM network config')
    parser.add_argument('checkpoint', help='trained CAM network checkpoint')
    parser.add_argument('--what', choices=['advcam', 'scorecam'], required=True)
    parser.add_argument(
        '--num-images', type=int, default=4, help='labelled images of the CAM split (default 4)'
    )
    parser.add_argument('--split', help='split file (absolute or relative to the data root)')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument(
        '--scales',
        type=float,
        nargs='+',
        help='AdvCAM scales (default: the config\'s cam_infer scales)',
    )
    parser.add_argument(
        '--steps',
        type=int,
        default=27,
        help='AdvCAM T (default 27; with the scale 0.5 and T <= 10 the '
        'authors\' loop climbs other step counts than T // 2)',
    )
    parser.add_argument(
        '--target-layer',
        default='backbone.layer4',
        help='the module whose output is the CAM feature map, hooked by '
        'the reference loop (default backbone.layer4)',
    )
    parser.add_argument(
        '--batch-size',
        type=int,
        default=32,
        help='Score-CAM masked images per forward pass (default 32)',
    )
    parser.add_argument(
        '--repeat',
        type=int,
        default=2,
        help='interleaved rounds; the fastest run of each variant is kept (default 2)',
    )
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument(
        '--double',
        action='store_true',
        help='model and images in float64: no float32 rounding flips a pixel '
        'of the restricting mask, so every variant gives the same maps',
    )
    parser.add_argument('--device', help='cpu or cuda (default: cuda when available)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config settings'
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, check_ranges, positive  # after --help: imports wsss_mm

    check_ranges(
        parser,
        args,
        {
            '--num-images': at_least(1),
            '--scales': positive(),
            '--steps': at_least(1),
            '--batch-size': at_least(1),
            '--repeat': at_least(1),
            '--threads': at_least(1),
        },
    )
    return args


def main(args: argparse.Namespace) -> None:
    """Loads the network and images, runs the chosen benchmark, prints the table."""
    import torch
    from mmengine.device import get_device

    from wsss_mm.apis.config_utils import override_data_root
    from wsss_mm.apis.inference import load_cam_network
    from wsss_mm.apis.train import load_config
    from wsss_mm.registry import CAM_METHODS
    from wsss_mm.testing.advcam_reference import reference_advcam
    from wsss_mm.testing.benchmark import (
        benchmark_advcam,
        benchmark_scorecam,
        format_benchmark,
        load_images,
    )
    from wsss_mm.utils.setup_env import register_all_modules

    register_all_modules()
    if args.threads:
        torch.set_num_threads(args.threads)
    cfg = load_config(args.config, args.cfg_options)
    if args.data_root:
        override_data_root(cfg, args.data_root)
    device = args.device or get_device()
    model = load_cam_network(cfg, args.checkpoint, device)
    inputs, labels = load_images(cfg, model, args.num_images, args.split)
    if args.double:
        model, inputs = model.double(), inputs.double()
    print(
        f'{len(inputs)} images {tuple(inputs.shape[2:])}, '
        f'{int(labels.sum())} (image, class) pairs, device {device}, '
        f'{torch.get_num_threads()} CPU threads, {inputs.dtype}'
    )
    if args.what == 'advcam':
        method = CAM_METHODS.build(dict(type='AdvCAM', preset='authors', steps=args.steps))
        scales = args.scales or cfg.get('cam_infer', {}).get('scales', (1.0, 0.5, 1.5, 2.0))

        def reference():
            return torch.stack(
                [
                    reference_advcam(
                        model,
                        inputs[i : i + 1],
                        labels[i],
                        args.target_layer,
                        scales,
                        method.steps,
                        method.reg_coeff,
                        method.step_size,
                        method.mask_threshold,
                    )
                    for i in range(len(inputs))
                ]
            )

        rows = benchmark_advcam(
            model, inputs, labels, method, reference, scales, repeat=args.repeat
        )
        print(f'AdvCAM (preset authors) T={method.steps}, scales {tuple(scales)}, flip')
        print(format_benchmark(rows))
        print(
            f'speed-up of the batched form over the reference loop: '
            f'{rows[1]["seconds"] / rows[0]["seconds"]:.2f}x; '
            f'batched / floor: {rows[0]["seconds"] / rows[2]["seconds"]:.2f}x'
        )
    else:
        rows = benchmark_scorecam(model, inputs, labels, args.batch_size, args.repeat)
        print(format_benchmark(rows))
        print(
            f'speed-up of batches of {args.batch_size} over one forward per channel: '
            f'{rows[1]["seconds"] / rows[0]["seconds"]:.2f}x'
        )


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
