"""Writes a synthetic dataset in the PASCAL VOC 2012 layout (or, with ``--layout coco``,
the COCO 2014 WSSS layout with 80 classes).

Example::

    python tools/make_synthetic_voc.py data/synthvoc --num-train 300 --num-val 100
    python tools/make_synthetic_voc.py data/synthcoco --num-train 300 --num-val 100 --layout coco

Style options change the data's character (see ``SyntheticStyle``)::

    python tools/make_synthetic_voc.py data/synthvoc_small --num-train 300 --num-val 100 \
        --object-scale 0.5 --thin-fraction 0.3 --classes bottle chair dog person --clutter 2
"""

import argparse
import os
import os.path as osp
import time
from typing import Optional


def style_text(style) -> str:
    """A short description of the fields of ``style`` that differ from the default.

    Returns:
        str: e.g. ``'object scale 0.5, classes bottle/dog'``; '' for the default.
    """
    from wsss_mm.datasets.synthetic_voc import VOC_CLASSES, SyntheticStyle

    default = SyntheticStyle()
    parts = []
    if style.object_scale != default.object_scale:
        parts.append(f'object scale {style.object_scale:g}')
    if style.thin_fraction != default.thin_fraction:
        parts.append(f'thin fraction {style.thin_fraction:g}')
    if style.classes != default.classes:
        parts.append(f"classes {'/'.join(VOC_CLASSES[c] for c in style.classes)}")
    if style.clutter != default.clutter:
        parts.append(f'clutter {style.clutter:g}')
    return ', '.join(parts)


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """Parses and checks the command line (errors exit through argparse).

    Args:
        argv (list[str], optional): arguments; ``sys.argv[1:]`` if None.

    Returns:
        argparse.Namespace: ``out``, ``num_train``, ``num_val``, ``size``,
        ``seed``, ``layout``, ``overwrite``, the style options ``object_scale``,
        ``thin_fraction``, ``classes`` (names or None), ``clutter`` and
        ``style`` (the :class:`SyntheticStyle` they make).
    """
    parser = argparse.ArgumentParser(
        description='Write a synthetic VOC-layout dataset '
        '(JPEGImages/, SegmentationClass/, ImageSets/Segmentation/), or with --layout coco '
        'a COCO 2014 WSSS-layout one (train2014/, val2014/, '
        'SegmentationClass/{train2014,val2014}/, train.txt, val.txt; 80 classes).'
    )
    parser.add_argument('out', help='output folder')
    parser.add_argument(
        '--num-train', type=int, required=True, help='number of train images (>= 1)'
    )
    parser.add_argument('--num-val', type=int, required=True, help='number of val images (>= 1)')
    parser.add_argument(
        '--size', type=int, default=128, help='image side in pixels (>= 64, default 128)'
    )
    parser.add_argument('--seed', type=int, default=0, help='random seed (>= 0, default 0)')
    parser.add_argument(
        '--layout',
        choices=('voc', 'coco'),
        default='voc',
        help='voc: PASCAL VOC 2012 layout, 20 classes (default); coco: COCO 2014 WSSS layout, '
        '80 classes',
    )
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='write into OUT even if it is a non-empty folder that does not hold a synthetic set',
    )
    style = parser.add_argument_group(
        'style', 'change the character of the data (the defaults give the standard set)'
    )
    style.add_argument(
        '--object-scale',
        type=float,
        default=1.0,
        metavar='FLOAT',
        help='object size relative to the default (> 0, up to the largest that fits the '
        'image, MAX_OBJECT_SCALE of wsss_mm.datasets.synthetic_voc; 0.5: small objects; '
        'default 1)',
    )
    style.add_argument(
        '--thin-fraction',
        type=float,
        default=0.0,
        metavar='FLOAT',
        help='share of thin objects, aspect ratio 4-8 (0..1, default 0)',
    )
    style.add_argument(
        '--classes',
        nargs='+',
        metavar='NAME',
        help='use only these VOC classes (at least 2 names, e.g. bottle chair '
        'dog person); labels keep their VOC ids (default: all 20)',
    )
    style.add_argument(
        '--clutter',
        type=float,
        default=1.0,
        metavar='FLOAT',
        help='background clutter: scales the number of distractors, above 1 '
        'also their size and colour (>= 0; 0: none; default 1)',
    )
    args = parser.parse_args(argv)
    # after --help: imports wsss_mm
    from wsss_mm.datasets.synthetic_voc import (
        MARKER_FILE,
        MAX_OBJECT_SCALE,
        VOC_CLASSES,
        SyntheticStyle,
        is_synthetic_voc_dir,
    )
    from wsss_mm.utils.cli import at_least, between, check_ranges

    check_ranges(
        parser,
        args,
        {
            '--num-train': at_least(1),
            '--num-val': at_least(1),
            '--size': at_least(64),
            '--seed': at_least(0),
            '--object-scale': between(0, MAX_OBJECT_SCALE, low_open=True),
            '--thin-fraction': between(0, 1),
            '--clutter': at_least(0),
        },
    )
    unknown = [name for name in args.classes or [] if name not in VOC_CLASSES[1:]]
    if unknown:
        parser.error(
            f'argument --classes: unknown VOC class {unknown[0]!r}; valid names: '
            f'{" ".join(VOC_CLASSES[1:])}'
        )
    if args.classes is not None and args.layout == 'coco':
        parser.error('argument --classes: selects VOC classes, not available with --layout coco')
    if args.classes is not None:
        if len(args.classes) < 2:
            parser.error(
                f'argument --classes: expected at least 2 class names, got {" ".join(args.classes)}'
            )
        repeated = sorted({name for name in args.classes if args.classes.count(name) > 1})
        if repeated:
            parser.error(f"argument --classes: class names given twice: {' '.join(repeated)}")
    args.style = SyntheticStyle(
        object_scale=args.object_scale,
        thin_fraction=args.thin_fraction,
        classes=(
            None
            if args.classes is None
            else tuple(VOC_CLASSES.index(name) for name in args.classes)
        ),
        clutter=args.clutter,
    )
    if osp.exists(args.out) and not osp.isdir(args.out):
        parser.error(f'output path {args.out} exists and is not a folder')
    if (
        osp.isdir(args.out)
        and os.listdir(args.out)
        and not is_synthetic_voc_dir(args.out)
        and not args.overwrite
    ):
        parser.error(
            f'output folder {args.out} is not empty and holds no synthetic set '
            f'(no {MARKER_FILE}); pass --overwrite to write into it anyway'
        )
    return args


def main(argv: Optional[list[str]] = None) -> None:
    """Writes the dataset and prints a one-line summary."""
    args = parse_args(argv)
    from wsss_mm.datasets.coco_layout import COCO_CLASSES
    from wsss_mm.datasets.synthetic_voc import VOC_CLASSES, make_synthetic_voc

    start = time.perf_counter()
    summary = make_synthetic_voc(
        args.out,
        args.num_train,
        args.num_val,
        size=args.size,
        seed=args.seed,
        style=args.style,
        layout=args.layout,
    )
    if args.layout == 'coco':
        used = COCO_CLASSES[1:]
    elif args.style.classes is None:
        used = VOC_CLASSES[1:]
    else:
        used = [VOC_CLASSES[c] for c in args.style.classes]
    shares = [summary['class_frequencies'][name] for name in used]
    style = style_text(args.style)
    print(
        f'wrote {args.num_train} train + {args.num_val} val images of {args.size}x{args.size} '
        f"(seed {args.seed}{'; ' + style if style else ''}) to {args.out}"
        f"{' in the COCO layout' if args.layout == 'coco' else ''} in "
        f'{time.perf_counter() - start:.1f}s: '
        f"{summary['num_objects']} objects, class shares {100 * min(shares):.1f}%-"
        f"{100 * max(shares):.1f}%, mean part fraction {summary['mean_part_fraction']:.3f}"
    )


if __name__ == '__main__':
    main()
