"""Evaluate attribution methods with the multi-label XAI metrics of seed 002.

    python tools/eval_xai.py CONFIG CHECKPOINT --methods CAM GradCAMPlusPlus ScoreCAM
        MinMaxCAM DMinMaxCAM [--split LIST] [--data-root DIR] [--batch-size N]
        [--classes labels|detected] [--detect-threshold T]

Prints one table (methods x %IC, %AD, %ADO, %AR, %ARO, F1-, F1+; macro-averaged
over classes, in percent), one line naming the explained classes and counting
the images that have none, and, as its last line, one JSON object
``{method: {metric: value}}`` (with ``images_without_classes``).

``--classes labels`` (default) explains the ground-truth classes of each image,
as c and as the others: the label set WSSS makes its CAMs for, the same pairs
for every method. ``--classes detected`` explains the classes with
``sigmoid(logit) > --detect-threshold`` (default 0.5), as the authors' notebook.
"""

import argparse
import json

from mmengine.config import DictAction

DEFAULT_METHODS = ['CAM', 'GradCAMPlusPlus', 'ScoreCAM', 'MinMaxCAM', 'DMinMaxCAM']


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CAM network config')
    parser.add_argument('checkpoint', help='trained CAM network checkpoint')
    parser.add_argument(
        '--methods',
        nargs='+',
        default=DEFAULT_METHODS,
        help=f'registered CAM methods (default {" ".join(DEFAULT_METHODS)})',
    )
    parser.add_argument(
        '--split',
        help='split file, absolute or relative to the data root '
        '(default: the layout\'s val split, ImageSets/Segmentation/val.txt or COCO\'s val.txt)',
    )
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument(
        '--batch-size', type=int, default=32, help='masked images per forward pass (default 32)'
    )
    parser.add_argument('--device', help='cpu or cuda (default: cuda when available)')
    parser.add_argument(
        '--classes',
        choices=['labels', 'detected'],
        default='labels',
        help='classes to explain, as c and as the others: the ground truth '
        '(default) or sigmoid(logit) > --detect-threshold (authors\' notebook)',
    )
    parser.add_argument(
        '--detect-threshold',
        type=float,
        default=0.5,
        help='probability above which a class is detected (default 0.5)',
    )
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config settings'
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, between, check_ranges  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--batch-size': at_least(1), '--detect-threshold': between(0, 1)})
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.eval_xai import eval_xai, format_xai_table
    from wsss_mm.apis.train import load_config
    from wsss_mm.evaluation.metrics.xai_metric import NO_CLASS_KEY
    from wsss_mm.utils.setup_env import register_all_modules

    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    results = eval_xai(
        cfg,
        args.checkpoint,
        args.methods,
        split=args.split,
        data_root=args.data_root,
        batch_size=args.batch_size,
        device=args.device,
        classes=args.classes,
        detect_threshold=args.detect_threshold,
    )
    print(format_xai_table(results))
    source = (
        'ground truth'
        if args.classes == 'labels'
        else f'detected, sigmoid(logit) > {args.detect_threshold}'
    )
    no_class = next(iter(results.values()))[NO_CLASS_KEY]
    print(f'explained classes: {source}; images without any (left out): {no_class}')
    print(
        json.dumps(
            {name: {k: round(v, 2) for k, v in values.items()} for name, values in results.items()}
        )
    )


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
