"""Make pseudo masks by the AffinityNet random walk of the CAMs.

    python tools/make_pseudo_labels.py CONFIG CHECKPOINT --cam-dir DIR --out-dir DIR
        [--data-root DIR] [--split LIST] [--device cpu|cuda] [--allow-pickle]
        [--overwrite] [--cfg-options ...]

CONFIG is the AffinityNet config (its ``random_walk`` and ``pseudo_labels``
dicts), CHECKPOINT the trained AffinityNet. Writes ``DIR/<image_id>.png``
(VOC palette; 255 = ignore where ``pseudo_labels.ignore_band`` is set)
atomically, and ``DIR/.recipe.json``, what made them (checkpoint, settings, CAM
folder, split); a rerun of the same recipe skips images already done, one of
another recipe is refused unless ``--overwrite``. Where every image has a
ground-truth mask, prints the pseudo masks' per-class IoU and, as its last
line, one JSON object ``{"miou": .., "ignored": .., "num_images": ..}``.
"""

import argparse
import json

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='AffinityNet config with `random_walk`')
    parser.add_argument('checkpoint', help='trained AffinityNet')
    parser.add_argument('--cam-dir', required=True, help='folder of <image_id>.npz CAM files')
    parser.add_argument(
        '--allow-pickle',
        action='store_true',
        help='also read legacy IRN-style <image_id>.npy CAM dicts: they need '
        'unpickling, which can run code from the file; only use it on files '
        'you made',
    )
    parser.add_argument('--out-dir', required=True, help='folder for the pseudo masks')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='remake every pseudo mask, also where --out-dir was made by another recipe '
        '(its .recipe.json); without it a rerun resumes a folder of the same recipe and '
        'refuses another',
    )
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument('--split', help='split file (default: the AffinityNet training split)')
    parser.add_argument('--device', help='cpu or cuda (default: cuda when available)')
    parser.add_argument(
        '--workers',
        type=int,
        default=2,
        help='evaluation processes (default 2; 0 or 1: in this process)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. random_walk.beta=8',
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, check_ranges  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--workers': at_least(0)})
    return args


def main(args: argparse.Namespace) -> None:
    from prettytable import PrettyTable

    from wsss_mm.apis.config_utils import dataset_cfg, resolve_split
    from wsss_mm.apis.make_pseudo_labels import make_pseudo_labels
    from wsss_mm.apis.train import load_config
    from wsss_mm.evaluation import eval_label_dir
    from wsss_mm.utils.io import read_split
    from wsss_mm.utils.manifest import repaired_note
    from wsss_mm.utils.setup_env import register_all_modules

    register_all_modules()
    cfg = load_config(args.config, args.cfg_options)
    if cfg.get('refine_thresholds', {}).get('walk') == 'sweep':
        print(
            f'background threshold random_walk.bg_value = {cfg.random_walk.bg_value} '
            "(refine_thresholds.walk='sweep' is done by tools/run_pipeline.py; sweep the "
            'walked scores of a run with tools/eval_cams.py --cam-dir WORK_DIR/walked)'
        )
    data_root = args.data_root or cfg.data_root
    split = args.split or dataset_cfg(cfg, 'train_dataloader').ann_file
    summary = make_pseudo_labels(
        cfg,
        args.checkpoint,
        args.cam_dir,
        args.out_dir,
        data_root,
        split,
        args.device,
        args.allow_pickle,
        overwrite=args.overwrite,
    )
    print(
        f'pseudo masks in {args.out_dir}: {summary["done"]} written{repaired_note(summary)}, '
        f'{summary["skipped"]} already there'
    )
    result = eval_label_dir(
        args.out_dir, data_root, read_split(resolve_split(split, data_root)), args.workers
    )
    if result is None:
        print('no ground truth for every image: pseudo masks not evaluated')
        return
    table = PrettyTable(['class', 'pseudo IoU'], align='r')
    table.align['class'] = 'l'
    for i, (name, iou) in enumerate(zip(result['class_names'], result['class_iou'])):
        table.add_row([name, f'{iou:.2f}'], divider=i == len(result['class_iou']) - 1)
    table.add_row(['mIoU', f'{result["miou"]:.2f}'])
    print(f'{table}\nignored pixels: {result["ignored"]:.1%}')
    print(
        json.dumps(
            dict(
                miou=round(result['miou'], 2),
                ignored=round(result['ignored'], 4),
                num_images=result['num_images'],
            )
        )
    )


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
