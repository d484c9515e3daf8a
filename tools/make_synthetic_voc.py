"""Writes a synthetic dataset in the PASCAL VOC 2012 layout.

Example::

    python tools/make_synthetic_voc.py data/synthvoc --num-train 300 --num-val 100
"""
import argparse
import os
import os.path as osp
import time
from collections.abc import Callable
from typing import Optional

from wsss_mm.datasets.synthetic_voc import (MARKER_FILE, is_synthetic_voc_dir,
                                            make_synthetic_voc)


def _int_at_least(minimum: int) -> Callable[[str], int]:
    """An argparse ``type`` that accepts integers >= ``minimum``."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f'expected an integer, got {text!r}')
        if value < minimum:
            raise argparse.ArgumentTypeError(f'must be >= {minimum}, got {value}')
        return value

    return parse


def parse_args(argv: Optional[list[str]] = None) -> argparse.Namespace:
    """Parses and checks the command line (errors exit through argparse).

    Args:
        argv (list[str], optional): arguments; ``sys.argv[1:]`` if None.

    Returns:
        argparse.Namespace: ``out``, ``num_train``, ``num_val``, ``size``,
        ``seed``, ``overwrite``.
    """
    parser = argparse.ArgumentParser(description='Write a synthetic VOC-layout dataset '
                                     '(JPEGImages/, SegmentationClass/, ImageSets/Segmentation/).')
    parser.add_argument('out', help='output folder')
    parser.add_argument('--num-train', type=_int_at_least(1), required=True,
                        help='number of train images (>= 1)')
    parser.add_argument('--num-val', type=_int_at_least(1), required=True,
                        help='number of val images (>= 1)')
    parser.add_argument('--size', type=_int_at_least(64), default=128,
                        help='image side in pixels (>= 64, default 128)')
    parser.add_argument('--seed', type=_int_at_least(0), default=0, help='random seed (default 0)')
    parser.add_argument('--overwrite', action='store_true',
                        help='write into OUT even if it is a non-empty folder that does not '
                        'hold a synthetic set')
    args = parser.parse_args(argv)
    if osp.exists(args.out) and not osp.isdir(args.out):
        parser.error(f'output path {args.out} exists and is not a folder')
    if (osp.isdir(args.out) and os.listdir(args.out) and not is_synthetic_voc_dir(args.out)
            and not args.overwrite):
        parser.error(f'output folder {args.out} is not empty and holds no synthetic set '
                     f'(no {MARKER_FILE}); pass --overwrite to write into it anyway')
    return args


def main(argv: Optional[list[str]] = None) -> None:
    """Writes the dataset and prints a one-line summary."""
    args = parse_args(argv)
    start = time.perf_counter()
    summary = make_synthetic_voc(args.out, args.num_train, args.num_val, size=args.size,
                                 seed=args.seed)
    shares = summary['class_frequencies'].values()
    print(f'wrote {args.num_train} train + {args.num_val} val images of {args.size}x{args.size} '
          f'(seed {args.seed}) to {args.out} in {time.perf_counter() - start:.1f}s: '
          f"{summary['num_objects']} objects, class shares {100 * min(shares):.1f}%-"
          f"{100 * max(shares):.1f}%, mean part fraction {summary['mean_part_fraction']:.3f}")


if __name__ == '__main__':
    main()
