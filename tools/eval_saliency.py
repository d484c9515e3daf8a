"""Evaluate saliency maps: background / foreground mIoU over a threshold sweep.

    python tools/eval_saliency.py --sal-dir DIR --data-root DIR [--split LIST]
        [--thresholds START STOP STEP]

The ground truth is background (0) against every class (1..254) of the masks,
255 ignored; a pixel is foreground where its saliency is above the threshold.
Reads ``<image_id>.npz`` saliency files (tools/infer_saliency.py) or grey
``<image_id>.png`` saliency images. Prints a table, and as its last line one
JSON object: ``{"miou": .., "threshold": .., "num_images": .., "bg_iou": ..,
"fg_iou": ..}``.
"""

import argparse
import json

import numpy as np


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--sal-dir', required=True, help='folder of saliency files')
    parser.add_argument('--data-root', required=True, help='VOC- or COCO-layout data root')
    parser.add_argument(
        '--split',
        help='split file (default: the layout\'s train split, '
        'ImageSets/Segmentation/train.txt or COCO\'s train.txt)',
    )
    parser.add_argument(
        '--thresholds',
        type=float,
        nargs=3,
        default=(0.01, 0.95, 0.01),
        metavar=('START', 'STOP', 'STEP'),
        help='saliency thresholds START..STOP (inclusive) by STEP, in [0, 1]',
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import between, check_ranges  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--thresholds': between(0, 1)})
    start, stop, step = args.thresholds
    if step <= 0 or stop < start:
        parser.error(
            f'argument --thresholds: needs START <= STOP and STEP > 0, got '
            f'{" ".join(map(str, args.thresholds))}'
        )
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.saliency import eval_saliency, format_saliency_table

    start, stop, step = args.thresholds
    thresholds = np.round(np.arange(start, stop + step / 2, step), 6)
    result = eval_saliency(args.sal_dir, args.data_root, args.split, thresholds)
    print(format_saliency_table(result))
    bg_iou, fg_iou = result['class_iou']
    summary = dict(
        miou=round(result['miou'], 2),
        threshold=result['threshold'],
        num_images=result['num_images'],
        bg_iou=round(bg_iou, 2),
        fg_iou=round(fg_iou, 2),
    )
    print(json.dumps(summary))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
