"""Infer class-agnostic saliency maps (C²AM / C²AM-H, multi-scale + flip) for a split.

    python tools/infer_saliency.py CONFIG CHECKPOINT --out-dir DIR [--split LIST]
        [--scales 1.0 0.5 1.5 2.0] [--no-flip] [--data-root DIR] [--overwrite]

Writes ``DIR/<image_id>.npz`` saliency files (a CAM file of one map, key 1, at
the image's original size, in [0, 1]: wsss_mm.cams.saliency_file) atomically,
and ``DIR/.recipe.json``, what made them; a rerun of the same recipe skips
images already done, one of another recipe is refused unless ``--overwrite``.
Score them with tools/eval_saliency.py; guide the affinity labels with them
(tools/make_affinity_labels.py --saliency-dir DIR).
"""

import argparse

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='C2AM config (configs/c2am/, configs/quickstart/c2am_*)')
    parser.add_argument('checkpoint', help='trained C2AM checkpoint')
    parser.add_argument('--out-dir', required=True, help='folder for the saliency files')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='remake every saliency file, also where --out-dir was made by another recipe '
        '(its .recipe.json); without it a rerun resumes a folder of the same recipe and '
        'refuses another',
    )
    parser.add_argument(
        '--split', help="split file (absolute or relative to the data root; default: the config's)"
    )
    parser.add_argument('--scales', type=float, nargs='+', help='input scales')
    parser.add_argument('--no-flip', action='store_true', help='no horizontal flips')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument('--device', help='cpu or cuda (default: cuda when available)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config settings'
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import check_ranges, positive  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--scales': positive()})
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.saliency import infer_saliency
    from wsss_mm.apis.train import load_config
    from wsss_mm.utils.manifest import repaired_note
    from wsss_mm.utils.setup_env import register_all_modules

    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    summary = infer_saliency(
        cfg,
        args.checkpoint,
        args.out_dir,
        split=args.split,
        scales=args.scales,
        flip=False if args.no_flip else None,
        data_root=args.data_root,
        device=args.device,
        overwrite=args.overwrite,
    )
    print(
        f'saliency maps in {args.out_dir}: {summary["done"]} written{repaired_note(summary)}, '
        f'{summary["skipped"]} already there, {summary["total"]} in the split'
    )


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
