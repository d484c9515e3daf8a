"""Collect finished pipeline runs into the results page: one markdown table per data
set, every method in a row, mean ± std over training seeds.

    python tools/analysis_tools/collect_results.py INPUT [INPUT ...] [--out FILE]
        [--save-records DIR] [--name NAME] [--config NAME] [--run-command TEXT]
        [--configs DIR]

Each INPUT is a ``tools/run_pipeline.py`` work dir (its ``stages/*.json`` and the
CAM network's config dump), a run record (``.json``, as ``--save-records`` writes
them), or a folder of records (searched recursively). ``--save-records DIR``
writes the record of each work dir to ``DIR/<data set>/<method>_seed<k>.json``
(the page's sources, committed under docs/results/). ``--out`` writes the page;
without ``--out`` and ``--save-records`` it is printed. The papers' VOC figures
come from ``configs/*/metafile.yaml``. Examples::

    python tools/analysis_tools/collect_results.py work_dirs/results/parts/advcam_s0 \\
        --name AdvCAM --save-records docs/results
    python tools/analysis_tools/collect_results.py docs/results/ --out docs/results.md
"""

import argparse
import os.path as osp
import sys

REPO_ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        'inputs',
        nargs='+',
        metavar='INPUT',
        help='tools/run_pipeline.py work dirs, run records (.json) or folders of records',
    )
    parser.add_argument('--out', help='write the markdown page here (e.g. docs/results.md)')
    parser.add_argument(
        '--save-records',
        metavar='DIR',
        help='write the record of each work dir to DIR/<data set>/<method>_seed<k>.json',
    )
    parser.add_argument(
        '--name',
        help="the method's name for the work dirs given (default: their CAM method, or "
        'their config name for CAM)',
    )
    parser.add_argument(
        '--config',
        help="the pipeline config's file name for the work dirs given (default: their CAM "
        "network's, from its config dump)",
    )
    parser.add_argument(
        '--run-command', help='the command that made the work dirs, kept in their records'
    )
    parser.add_argument(
        '--configs',
        default=osp.join(REPO_ROOT, 'configs'),
        help="where the configs' metafile.yaml files are (default: the repository's configs/)",
    )
    return parser.parse_args()


def main(args: argparse.Namespace) -> None:
    import json
    import shlex

    from wsss_mm.evaluation.results_table import (
        load_records,
        read_paper_figures,
        record_file_name,
        results_markdown,
    )
    from wsss_mm.utils.io import atomic_path

    records, from_work_dirs = load_records(args.inputs, args.name, args.run_command, args.config)
    if args.save_records:
        for record in from_work_dirs:
            path = osp.join(args.save_records, record_file_name(record))
            with atomic_path(path) as tmp, open(tmp, 'w') as f:
                json.dump(record, f, indent=1)
                f.write('\n')
            print(f'record: {path}')
    if args.save_records and not args.out:
        return
    command = 'python tools/analysis_tools/collect_results.py ' + shlex.join(sys.argv[1:])
    page = results_markdown(records, read_paper_figures(args.configs), command)
    if args.out:
        with atomic_path(args.out) as tmp, open(tmp, 'w') as f:
            f.write(page)
        print(f'{len(records)} runs -> {args.out}')
    else:
        print(page, end='')


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
