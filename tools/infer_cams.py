"""Infer CAMs (multi-scale + flip) for every image of a split.

    python tools/infer_cams.py CONFIG CHECKPOINT --out-dir DIR [--method NAME]
        [--split LIST] [--scales 1.0 0.5 1.5 2.0] [--no-flip] [--data-root DIR]
        [--group-size K] [--overwrite]

Writes ``DIR/<image_id>.npz`` (docs/design.md, "CAM files") atomically, and
``DIR/.recipe.json``, what made them (checkpoint, method and options, scales,
flip, config settings, split). A rerun of the same recipe skips the images
whose file is there and whole; a rerun of another recipe is refused with the
settings that differ, unless ``--overwrite``.
"""

import argparse

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CAM network config')
    parser.add_argument('checkpoint', help='trained CAM network checkpoint')
    parser.add_argument('--out-dir', required=True, help='folder for the CAM files')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='remake every CAM file, also where --out-dir was made by another recipe '
        '(its .recipe.json); without it a rerun resumes a folder of the same recipe and '
        'refuses another',
    )
    parser.add_argument('--method', default='CAM', help='registered CAM method (default CAM)')
    parser.add_argument('--split', help='split file (absolute or relative to the data root)')
    parser.add_argument('--scales', type=float, nargs='+', help='input scales')
    parser.add_argument('--no-flip', action='store_true', help='no horizontal flips')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument('--vis-dir', help='save image | CAM overlays here')
    parser.add_argument('--num-vis', type=int, default=20, help='overlays to save (default 20)')
    parser.add_argument('--device', help='cpu or cuda (default: cuda when available)')
    parser.add_argument(
        '--group-size',
        type=int,
        help='K > 1: a group network (Group-WSSS) sees each image with the K - 1 images '
        'of the split sharing the most classes with it; 1: each image alone (default: '
        "the config's cam_infer.group_size, else 1)",
    )
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config settings'
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, check_ranges, positive  # after --help: imports wsss_mm

    check_ranges(
        parser,
        args,
        {'--scales': positive(), '--num-vis': at_least(0), '--group-size': at_least(1)},
    )
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis import infer_cams
    from wsss_mm.apis.train import load_config
    from wsss_mm.utils.manifest import repaired_note
    from wsss_mm.utils.setup_env import register_all_modules

    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    summary = infer_cams(
        cfg,
        args.checkpoint,
        args.out_dir,
        method=args.method,
        split=args.split,
        scales=args.scales,
        flip=False if args.no_flip else None,
        data_root=args.data_root,
        vis_dir=args.vis_dir,
        num_vis=args.num_vis,
        device=args.device,
        group_size=args.group_size,
        overwrite=args.overwrite,
    )
    print(
        f'CAMs in {args.out_dir}: {summary["done"]} written{repaired_note(summary)}, '
        f'{summary["skipped"]} already there, {summary["total"]} in the split'
    )


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
