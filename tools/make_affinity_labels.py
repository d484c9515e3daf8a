"""Make affinity labels (confident CAM regions) for AffinityNet training.

    python tools/make_affinity_labels.py CONFIG --cam-dir DIR --out-dir DIR
        [--data-root DIR] [--split LIST] [--workers N] [--seed-threshold T]
        [--saliency-dir DIR] [--allow-pickle] [--overwrite] [--cfg-options ...]

CONFIG is an AffinityNet config (e.g. configs/affinity/affinity_r50_voc.py);
its ``affinity_labels`` dict sets the thresholds, the CRF and the saliency
option. With ``refine_thresholds.affinity='seed'`` (the quickstart) the
thresholds come from the seeds' best background threshold, ``--seed-threshold``
(the ``threshold`` that tools/eval_cams.py prints): fg = fg_ratio * T,
bg = bg_ratio * T. With ``--saliency-dir`` (or ``affinity_labels.saliency_dir``) the
background comes from saliency maps (tools/infer_saliency.py's ``.npz`` or grey
``.png``): background where the saliency is at most ``affinity_labels.saliency_threshold``,
the CAMs' confident foreground inside the salient region, 255 elsewhere (P-NOC's
C²AM-H guidance). Writes ``DIR/<image_id>.png`` (VOC palette, 255 = ignored) atomically,
and ``DIR/.recipe.json``, what made them (thresholds, CRF, CAM and saliency folders,
split); a rerun of the same recipe skips images already done, one of another recipe is
refused unless ``--overwrite``. Then train AffinityNet with
``tools/train.py CONFIG --cfg-options train_dataloader.dataset.mask_dir=DIR``.
"""

import argparse

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='AffinityNet config with `affinity_labels`')
    parser.add_argument('--cam-dir', required=True, help='folder of <image_id>.npz CAM files')
    parser.add_argument(
        '--allow-pickle',
        action='store_true',
        help='also read legacy IRN-style <image_id>.npy CAM dicts: they need '
        'unpickling, which can run code from the file; only use it on files '
        'you made',
    )
    parser.add_argument('--out-dir', required=True, help='folder for the label maps')
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='remake every label map, also where --out-dir was made by another recipe '
        '(its .recipe.json); without it a rerun resumes a folder of the same recipe and '
        'refuses another',
    )
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument('--split', help='split file (default: the AffinityNet training split)')
    parser.add_argument(
        '--workers',
        type=int,
        help='processes (default: refine_workers; 0 or 1: in this process)',
    )
    parser.add_argument(
        '--seed-threshold',
        type=float,
        help="the seeds' best background threshold (tools/eval_cams.py), "
        "for refine_thresholds.affinity='seed'",
    )
    parser.add_argument(
        '--saliency-dir',
        help='saliency maps giving the background (replaces affinity_labels.saliency_dir)',
    )
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. affinity_labels.crf=False',
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, between, check_ranges  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--workers': at_least(0), '--seed-threshold': between(0, 1)})
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.make_affinity_labels import make_affinity_labels
    from wsss_mm.apis.train import load_config
    from wsss_mm.utils.manifest import repaired_note

    cfg = load_config(args.config, args.cfg_options)
    summary = make_affinity_labels(
        cfg,
        args.cam_dir,
        args.out_dir,
        args.data_root,
        args.split,
        args.workers,
        args.seed_threshold,
        args.allow_pickle,
        args.saliency_dir,
        args.overwrite,
    )
    saliency_dir = args.saliency_dir or cfg.affinity_labels.get('saliency_dir')
    background = (
        f'background from the saliency in {saliency_dir}'
        if saliency_dir
        else f'bg threshold {summary["bg_threshold"]}'
    )
    print(
        f'affinity labels in {args.out_dir}: {summary["done"]} written{repaired_note(summary)}, '
        f'{summary["skipped"]} already there (fg threshold {summary["fg_threshold"]}, '
        f'{background})'
    )


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
