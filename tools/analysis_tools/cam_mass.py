"""Where the mass of CAMs goes: on the class's own object, on other objects, on
the background; and how much of the object the map covers.

    python tools/analysis_tools/cam_mass.py --cam-dirs NAME=DIR [NAME=DIR ...]
        --data-root DIR [--split LIST] [--cover 0.2] [--allow-pickle]

For every present (image, class) pair of the split, the map's mass (sum of its
values, ignore pixels left out) is split into the share on the pixels of that
class, on pixels of other foreground classes and on background; "coverage" is the
share of the class's pixels where the map exceeds ``--cover`` times its maximum.
Each is averaged over the pairs. One row per CAM folder; the last line printed is
one JSON object ``{NAME: {"object": .., "other_objects": .., "background": ..,
"coverage": .., "pairs": ..}}``.
"""

import argparse
import json

from prettytable import PrettyTable


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--cam-dirs',
        nargs='+',
        required=True,
        metavar='NAME=DIR',
        help='CAM folders to compare, each named',
    )
    parser.add_argument('--data-root', required=True, help='VOC- or COCO-layout data root')
    parser.add_argument(
        '--split',
        help='split file (default: the layout\'s train split, '
        'ImageSets/Segmentation/train.txt or COCO\'s train.txt)',
    )
    parser.add_argument(
        '--cover',
        type=float,
        default=0.2,
        help='coverage: object pixels above COVER x the map\'s max (default 0.2)',
    )
    parser.add_argument(
        '--allow-pickle',
        action='store_true',
        help='also read legacy IRN-style <image_id>.npy CAM dicts: they need '
        'unpickling, which can run code from the file; only use it on files '
        'you made',
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import ValueRange, check_ranges  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--cover': ValueRange(0, 1, high_open=True)})
    bad = [item for item in args.cam_dirs if '=' not in item or item.startswith('=')]
    if bad:
        parser.error(f'--cam-dirs takes NAME=DIR items, got {bad}')
    return args


def mass_shares(
    cam_dir: str, data_root: str, img_ids, cover: float, allow_pickle: bool = False
) -> dict:
    """The mean shares over the (image, class) pairs of one CAM folder
    (``allow_pickle``: read legacy pickled ``.npy`` CAM files)."""
    from wsss_mm.apis.label_maps import ReadCAMFile
    from wsss_mm.datasets.voc_layout import IGNORE_INDEX
    from wsss_mm.evaluation import gt_mask_dirs, load_pair

    mask_dirs = gt_mask_dirs(data_root)
    read_cams = ReadCAMFile(cam_dir, allow_pickle)
    totals = dict(object=0.0, other_objects=0.0, background=0.0, coverage=0.0)
    pairs = 0
    for img_id in img_ids:
        gt, cams = load_pair(img_id, mask_dirs, read_cams, read_cams.size, read_cams.what)
        valid = gt != IGNORE_INDEX
        for key, cam in zip(cams['keys'], cams['cam']):
            own = gt == key
            mass = float(cam[valid].sum())
            if not own.any() or mass <= 0:
                continue
            totals['object'] += float(cam[own].sum()) / mass
            totals['other_objects'] += float(cam[valid & ~own & (gt != 0)].sum()) / mass
            totals['background'] += float(cam[gt == 0].sum()) / mass
            totals['coverage'] += float((cam[own] > cover * cam.max()).mean())
            pairs += 1
    if pairs == 0:
        raise ValueError(
            f'{cam_dir}: no present class with a non-zero map and object pixels in the split'
        )
    return {**{k: round(v / pairs, 4) for k, v in totals.items()}, 'pairs': pairs}


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.config_utils import resolve_split
    from wsss_mm.apis.label_maps import check_cam_dir
    from wsss_mm.datasets.data_layout import detect_layout
    from wsss_mm.utils.io import read_split

    img_ids = read_split(
        resolve_split(args.split or detect_layout(args.data_root).train_split, args.data_root)
    )
    results = {}
    for item in args.cam_dirs:
        name, cam_dir = item.split('=', 1)
        check_cam_dir(cam_dir, img_ids, args.allow_pickle)
        results[name] = mass_shares(cam_dir, args.data_root, img_ids, args.cover, args.allow_pickle)
    table = PrettyTable(
        ['cams', 'object', 'other obj.', 'background', f'coverage@{args.cover}', 'pairs'],
        align='r',
    )
    table.align['cams'] = 'l'
    for name, r in results.items():
        table.add_row(
            [name]
            + [f'{r[k]:.3f}' for k in ('object', 'other_objects', 'background', 'coverage')]
            + [r['pairs']]
        )
    print(table)
    print(json.dumps(results))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
