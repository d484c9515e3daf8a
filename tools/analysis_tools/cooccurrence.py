"""The class co-occurrence matrix of a dataset's masks (SegMix, Eq. 2): the file
SegMix's co-occurrence mixing reads (``CoOccurrenceMix(cooccurrence=FILE)``).

    python tools/analysis_tools/cooccurrence.py --data-root DIR --out FILE.npy
        [--split LIST] [--count images|pixels] [--top 10] [--num-workers 2]

Reads the masks of the split (default: the layout's train split), writes the
(K, K) int64 matrix atomically (schema in ``wsss_mm/evaluation/cooccurrence.py``),
prints the most frequent pairs of foreground classes and, as its last line, one
JSON object ``{"out", "num_images", "num_classes", "count", "top_pairs":
[[class, class, n], ...]}``.
"""

import argparse
import json


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--data-root', required=True, help='VOC- or COCO-layout data root')
    parser.add_argument(
        '--split',
        help="split file (default: the layout's train split, "
        "ImageSets/Segmentation/train.txt or COCO's train.txt)",
    )
    parser.add_argument('--out', required=True, help='the .npy file to write')
    parser.add_argument(
        '--count',
        choices=('images', 'pixels'),
        default='images',
        help='images holding both classes (default), or pixels of the row class '
        'in images holding the column class (Eq. 2 as written)',
    )
    parser.add_argument('--top', type=int, default=10, help='pairs printed (default 10)')
    parser.add_argument(
        '--num-workers', type=int, default=2, help='processes reading masks (default 2)'
    )
    args = parser.parse_args()
    if not args.out.endswith('.npy'):
        parser.error(f'--out must name a .npy file, got {args.out}')
    from wsss_mm.utils.cli import at_least, check_ranges  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--top': at_least(0), '--num-workers': at_least(0)})
    return args


def main(args: argparse.Namespace) -> None:
    import os.path as osp

    from prettytable import PrettyTable

    from wsss_mm.apis.config_utils import resolve_split
    from wsss_mm.datasets.data_layout import detect_layout
    from wsss_mm.evaluation.cooccurrence import dataset_cooccurrence, save_cooccurrence, top_pairs
    from wsss_mm.utils.io import read_split

    if not osp.isdir(args.data_root):
        raise FileNotFoundError(f'--data-root: no such folder: {args.data_root}')
    layout = detect_layout(args.data_root)
    img_ids = read_split(resolve_split(args.split or layout.train_split, args.data_root))
    matrix = dataset_cooccurrence(args.data_root, img_ids, args.count, args.num_workers)
    save_cooccurrence(args.out, matrix)
    pairs = top_pairs(matrix, layout.classes, args.top)
    table = PrettyTable(['class', 'with class', args.count], align='l')
    table.align[args.count] = 'r'
    for row in pairs:
        table.add_row(row)
    print(f'{len(img_ids)} images, {len(layout.classes)} class ids ({layout.name}); top pairs:')
    print(table)
    summary = dict(
        out=osp.abspath(args.out),
        num_images=len(img_ids),
        num_classes=len(layout.classes),
        count=args.count,
        top_pairs=[list(p) for p in pairs],
    )
    print(json.dumps(summary))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
