"""Evaluate attribution methods with the multi-label XAI metrics of seed 002.

    python tools/eval_xai.py CONFIG CHECKPOINT --methods CAM GradCAMPlusPlus ScoreCAM
        MinMaxCAM DMinMaxCAM [--split LIST] [--data-root DIR] [--batch-size N]

Prints one table (methods x %IC, %AD, %ADO, %AR, %ARO, F1-, F1+; macro-averaged
over classes, in percent) and, as its last line, one JSON object
``{method: {metric: value}}``.
"""
import argparse
import json

from mmengine.config import DictAction

DEFAULT_METHODS = ['CAM', 'GradCAMPlusPlus', 'ScoreCAM', 'MinMaxCAM', 'DMinMaxCAM']


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CAM network config')
    parser.add_argument('checkpoint', help='trained CAM network checkpoint')
    parser.add_argument('--methods', nargs='+', default=DEFAULT_METHODS,
                        help=f'registered CAM methods (default {" ".join(DEFAULT_METHODS)})')
    parser.add_argument('--split', help='split file, absolute or relative to the data root '
                        '(default ImageSets/Segmentation/val.txt)')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument('--batch-size', type=int, default=32,
                        help='masked images per forward pass (default 32)')
    parser.add_argument('--device', help='cpu or cuda (default: cuda when available)')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction,
                        help='override config settings')
    args = parser.parse_args()
    if args.batch_size < 1:
        parser.error(f'--batch-size must be >= 1, got {args.batch_size}')
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.eval_xai import eval_xai, format_xai_table
    from wsss_mm.apis.train import load_config
    from wsss_mm.utils.setup_env import register_all_modules
    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    results = eval_xai(cfg, args.checkpoint, args.methods, split=args.split,
                       data_root=args.data_root, batch_size=args.batch_size,
                       device=args.device)
    print(format_xai_table(results))
    print(json.dumps({name: {k: round(v, 2) for k, v in values.items()}
                      for name, values in results.items()}))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first
    run_cli(lambda: main(ARGS))
