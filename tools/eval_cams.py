"""Evaluate CAM seeds: background-threshold sweep, per-class IoU table.

    python tools/eval_cams.py --cam-dir DIR --data-root DIR [--split LIST]
        [--thresholds START STOP STEP] [--allow-pickle]
        [--crf [--crf-config CONFIG] [--cfg-options crf.KEY=VALUE ...] [--workers N]]

The last line printed is one JSON object:
``{"miou": .., "threshold": .., "floor_miou": .., "floor_threshold": .., ...}``,
where the floor is the same sweep for a uniform map (every present class a
constant map). With ``--crf`` (needs pydensecrf2) the seeds at the best
threshold are also refined by a dense CRF, adding ``crf_miou``; its
parameters are the ``crf`` dict of CONFIG (e.g. an affinity config), else
the defaults of ``wsss_mm.refine.DenseCRF`` (IRN's kernels at VOC size, in
image units), with ``--cfg-options`` applied (e.g. ``crf.spatial_units=pixels``).
"""

import argparse
import json

import numpy as np
from mmengine.config import Config, DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--cam-dir', required=True, help='folder of <image_id>.npz CAM files')
    parser.add_argument(
        '--allow-pickle',
        action='store_true',
        help='also read legacy IRN-style <image_id>.npy CAM dicts: they need '
        'unpickling, which can run code from the file; only use it on files '
        'you made',
    )
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
        help='background thresholds START..STOP (inclusive) by STEP, in [0, 1]',
    )
    parser.add_argument(
        '--crf', action='store_true', help='also evaluate the seeds refined by a dense CRF'
    )
    parser.add_argument('--crf-config', help='a config whose `crf` dict sets the CRF')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        default={},
        help='override the CRF settings, e.g. crf.spatial_units=pixels',
    )
    parser.add_argument(
        '--workers', type=int, default=2, help='CRF processes (0 or 1: in this process)'
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, between, check_ranges  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--thresholds': between(0, 1), '--workers': at_least(0)})
    if (args.crf_config or args.cfg_options) and not args.crf:
        parser.error('--crf-config and --cfg-options need --crf')
    if any(not key.startswith('crf.') for key in args.cfg_options):
        parser.error(
            f'--cfg-options sets the CRF only (crf.KEY=VALUE), got {sorted(args.cfg_options)}'
        )
    start, stop, step = args.thresholds
    if step <= 0 or stop < start:
        parser.error(
            f'argument --thresholds: needs START <= STOP and STEP > 0, got '
            f'{" ".join(map(str, args.thresholds))}'
        )
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.eval_cams import eval_cams, format_table
    from wsss_mm.apis.train import load_config

    start, stop, step = args.thresholds
    thresholds = np.round(np.arange(start, stop + step / 2, step), 6)
    crf = None
    if args.crf:
        cfg = load_config(args.crf_config) if args.crf_config else Config(dict(crf=dict()))
        cfg.merge_from_dict(args.cfg_options)
        crf = dict(cfg.get('crf', {}))
    result = eval_cams(
        args.cam_dir,
        args.data_root,
        args.split,
        thresholds,
        crf=crf,
        num_workers=args.workers,
        allow_pickle=args.allow_pickle,
    )
    print(format_table(result))
    summary = dict(
        miou=round(result['cams']['miou'], 2),
        threshold=result['cams']['threshold'],
        floor_miou=round(result['floor']['miou'], 2),
        floor_threshold=result['floor']['threshold'],
        num_images=result['num_images'],
    )
    if crf is not None:
        summary['crf_miou'] = round(result['crf']['miou'], 2)
    print(json.dumps(summary))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
