"""A self-contained HTML page showing CAM folders and label-map folders side by side.

    python tools/analysis_tools/cam_gallery.py --cam-dirs NAME=DIR [NAME=DIR ...]
        --data-root DIR --out report.html [--split LIST] [--num 20]
        [--sort disagree|worst|best|random] [--thumb-size 160] [--seed 0]
        [--thresholds START STOP STEP]

Each NAME=DIR is a folder of CAM files (<image_id>.npz, tools/infer_cams.py) or
of PNG label maps (<image_id>.png: seeds, CRF or pseudo masks); the kind is
detected per folder. The page holds a table of each folder's mIoU (and, for CAM
files, the best background threshold: the numbers of tools/eval_cams.py), then
one row per image: the image, its ground truth, and per folder an overlay per
class with the class name, the map's max score and the class's IoU in that image
at the folder's best threshold (a label map: the colourised map). Every image of
the split is evaluated; --num rows are shown, ordered by --sort: ``disagree``
(default) puts the images where the folders' per-image mIoU differ most first.
Images are embedded (base64); the page loads nothing else and runs no script.
The last line printed is one JSON object ``{"out": .., "num_images": ..,
"split_images": .., "sort": .., "methods": {NAME: {"kind", "miou", "threshold"}}}``.
"""

import argparse
import json


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--cam-dirs',
        nargs='+',
        required=True,
        metavar='NAME=DIR',
        help='folders of CAM files or PNG label maps, each named (a column each)',
    )
    parser.add_argument('--data-root', required=True, help='VOC- or COCO-layout data root')
    parser.add_argument('--out', required=True, help='the HTML file to write')
    parser.add_argument(
        '--split',
        help='split file (default: the layout\'s train split, '
        'ImageSets/Segmentation/train.txt or COCO\'s train.txt)',
    )
    parser.add_argument('--num', type=int, default=20, help='images (rows) shown (default 20)')
    parser.add_argument(
        '--sort',
        default='disagree',
        choices=['disagree', 'worst', 'best', 'random'],
        help='row order: where the folders disagree most (default), lowest / highest '
        'mean per-image mIoU, or shuffled',
    )
    parser.add_argument(
        '--thumb-size', type=int, default=160, help='longer side of the shown images (px)'
    )
    parser.add_argument('--seed', type=int, default=0, help='shuffle of --sort random')
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs=3,
        default=(0.01, 0.95, 0.01),
        metavar=('START', 'STOP', 'STEP'),
        help='background thresholds of the CAM folders\' sweep (as tools/eval_cams.py)',
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, between, check_ranges  # after --help: imports wsss_mm

    check_ranges(
        parser,
        args,
        {
            '--num': at_least(1),
            '--thumb-size': at_least(16),
            '--seed': at_least(0),
            '--thresholds': between(0, 1),
        },
    )
    start, stop, step = args.thresholds
    if step <= 0 or stop < start:
        parser.error(
            f'argument --thresholds: needs START <= STOP and STEP > 0, got '
            f'{" ".join(map(str, args.thresholds))}'
        )
    return args


def main(args: argparse.Namespace) -> None:
    import numpy as np

    from wsss_mm.apis.cam_gallery import build_gallery, parse_sources

    sources = parse_sources(args.cam_dirs)
    start, stop, step = args.thresholds
    result = build_gallery(
        sources,
        args.data_root,
        args.out,
        split=args.split,
        num=args.num,
        sort=args.sort,
        thresholds=np.round(np.arange(start, stop + step / 2, step), 6),
        thumb_size=args.thumb_size,
        seed=args.seed,
    )
    for name, m in result['methods'].items():
        threshold = '' if m['threshold'] is None else f', bg threshold {m["threshold"]:.2f}'
        print(f'{name} ({m["kind"]}): mIoU {m["miou"]:.2f}{threshold}')
    print(f'gallery: {result["out"]} ({result["num_images"]} images)')
    print(json.dumps(result))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
