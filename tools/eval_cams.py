"""Evaluate CAM seeds: background-threshold sweep, per-class IoU table.

    python tools/eval_cams.py --cam-dir DIR --data-root DIR [--split LIST]
        [--thresholds START STOP STEP]

The last line printed is one JSON object:
``{"miou": .., "threshold": .., "floor_miou": .., "floor_threshold": .., ...}``,
where the floor is the same sweep for a uniform map (every present class a
constant map).
"""
import argparse
import json

import numpy as np


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cam-dir', required=True, help='folder of <image_id>.npy')
    parser.add_argument('--data-root', required=True, help='VOC-layout data root')
    parser.add_argument('--split', help='split file (default ImageSets/Segmentation/train.txt)')
    parser.add_argument('--thresholds', type=float, nargs=3, default=(0.05, 0.95, 0.05),
                        metavar=('START', 'STOP', 'STEP'),
                        help='background thresholds START..STOP (inclusive) by STEP')
    args = parser.parse_args()
    start, stop, step = args.thresholds
    if step <= 0 or stop < start:
        parser.error(f'--thresholds needs START <= STOP and STEP > 0, got {args.thresholds}')
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.eval_cams import eval_cams, format_table
    start, stop, step = args.thresholds
    thresholds = np.round(np.arange(start, stop + step / 2, step), 6)
    result = eval_cams(args.cam_dir, args.data_root, args.split, thresholds)
    print(format_table(result))
    print(json.dumps(dict(
        miou=round(result['cams']['miou'], 2),
        threshold=result['cams']['threshold'],
        floor_miou=round(result['floor']['miou'], 2),
        floor_threshold=result['floor']['threshold'],
        num_images=result['num_images'])))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first
    run_cli(lambda: main(ARGS))
