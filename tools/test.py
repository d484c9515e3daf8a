"""Evaluate a checkpoint: ``python tools/test.py CONFIG CHECKPOINT [options]``.

The options are MMSegmentation's: ``--tta`` (the config's ``tta_pipeline`` and
``tta_model``: multi-scale + flip), ``--out DIR`` (the evaluator keeps its
results and writes the predictions there), ``--show`` / ``--show-dir DIR`` /
``--wait-time S`` (the config's ``visualization`` hook draws the predictions),
``--launcher`` with ``--local_rank`` for distributed testing
(``tools/dist_test.sh``, ``tools/slurm_test.sh``). ``--seed-miou`` tests a CAM
network's seeds instead of its classification: the config's validation setup
(``val_dataloader``, ``val_evaluator`` ``SeedMIoUMetric``, ``val_cfg``
``CAMValLoop``) runs as the test, reporting ``seed_mIoU`` as ``tools/eval_cams.py``
measures it. ``--subsets`` reports the mIoU of the scene-complexity subsets of
SegMix's Tables 3-4 and Fig. 5 (occlusion, number of objects, number of classes;
with ``--cooccurrence FILE``, the training set's co-occurrence matrix of
``tools/analysis_tools/cooccurrence.py``, also the co-occurrence thresholds and
the person co-occurrence / exclusive classes) with ``SubsetIoUMetric`` as the
test evaluator.
"""

import argparse
import os
import os.path as osp

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Test a wsss_mm model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('checkpoint', help='checkpoint file')
    parser.add_argument('--work-dir', help='where logs and metrics go')
    parser.add_argument('--data-root', help='override the data root of every dataloader')
    parser.add_argument(
        '--out', help='keep the evaluator\'s results and write the predictions to this folder'
    )
    parser.add_argument('--show', action='store_true', help='show the predictions')
    parser.add_argument(
        '--show-dir',
        help='save images with the predictions drawn (a relative path is below the work dir)',
    )
    parser.add_argument(
        '--wait-time', type=float, default=2, help='seconds each image is shown with --show'
    )
    parser.add_argument(
        '--tta',
        action='store_true',
        help='test-time augmentation (the config\'s tta_pipeline and tta_model)',
    )
    parser.add_argument(
        '--seed-miou',
        action='store_true',
        help='CAM networks: evaluate the seeds (CAM mIoU over background '
        'thresholds) with the config\'s val_dataloader / val_evaluator / '
        'val_cfg instead of the classification test',
    )
    parser.add_argument(
        '--subsets',
        action='store_true',
        help='SegMix Tables 3-4 / Fig. 5 subsets: mIoU per occlusion, object-count, '
        'class-count (and with --cooccurrence co-occurrence and person) subset of the '
        'test set (SubsetIoUMetric replaces the test evaluator)',
    )
    parser.add_argument(
        '--cooccurrence',
        metavar='FILE',
        help='with --subsets: the training set\'s co-occurrence .npy '
        '(tools/analysis_tools/cooccurrence.py); without it the co-occurrence and '
        'person subsets are skipped',
    )
    parser.add_argument(
        '--cooc-thresholds',
        type=float,
        nargs='+',
        metavar='T',
        help='with --cooccurrence: the co-occurrence thresholds of Fig. 5 (default 50 40 '
        '30 20 10, for VOC train_aug; smaller sets need smaller ones)',
    )
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config settings'
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher',
    )
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, check_ranges, positive  # after --help: imports wsss_mm

    check_ranges(
        parser,
        args,
        {'--wait-time': at_least(0), '--cooc-thresholds': positive(), '--local-rank': at_least(0)},
    )
    if args.seed_miou and (args.tta or args.out):
        parser.error(
            '--seed-miou computes multi-scale + flip CAMs itself and writes no '
            'predictions: drop --tta / --out (tools/infer_cams.py writes CAM files)'
        )
    if args.subsets and (args.seed_miou or args.out):
        parser.error(
            '--subsets evaluates segmentation predictions per subset and writes no '
            'predictions: drop --seed-miou / --out'
        )
    if args.cooccurrence and not args.subsets:
        parser.error('--cooccurrence is read by --subsets only: add --subsets')
    if args.cooc_thresholds and not args.cooccurrence:
        parser.error('--cooc-thresholds needs --subsets --cooccurrence FILE')
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis import close_distributed
    from wsss_mm.apis.train import (
        build_runner,
        check_checkpoint_fits,
        load_config,
        use_seed_evaluation,
        use_visualization_hook,
    )
    from wsss_mm.apis.train_seg import enable_tta

    if args.cooccurrence and not osp.isfile(args.cooccurrence):
        raise FileNotFoundError(
            f'co-occurrence file not found: {args.cooccurrence} (make it with '
            'tools/analysis_tools/cooccurrence.py on the training split)'
        )
    cfg = load_config(args.config, args.cfg_options)
    check_checkpoint_fits(cfg, args.checkpoint)
    cfg.load_from = args.checkpoint
    # a test builds no training data: mmseg's visualization hook reads runner.iter, which
    # would build the training loop (e.g. pseudo masks that need not exist where one tests)
    for key in ('train_dataloader', 'train_cfg', 'optim_wrapper', 'param_scheduler'):
        cfg[key] = None
    if args.seed_miou:
        use_seed_evaluation(cfg)
    if args.subsets:
        cfg.test_evaluator = dict(type='wsss_mm.SubsetIoUMetric', cooccurrence=args.cooccurrence)
        if args.cooc_thresholds:
            cfg.test_evaluator['thresholds'] = tuple(args.cooc_thresholds)
    work_dir = (
        args.work_dir
        or cfg.get('work_dir')
        or osp.join('work_dirs', osp.splitext(osp.basename(args.config))[0])
    )
    if args.show or args.show_dir:
        show_dir = osp.join(work_dir, args.show_dir) if args.show_dir else None
        use_visualization_hook(cfg, args.show, show_dir, args.wait_time)
    if args.tta:
        enable_tta(cfg)
    if args.out is not None:
        cfg.test_evaluator['output_dir'] = args.out
        cfg.test_evaluator['keep_results'] = True
    runner = build_runner(
        cfg,
        work_dir=work_dir,
        config_path=args.config,
        data_root=args.data_root,
        launcher=args.launcher,
    )
    runner.test()
    close_distributed()


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
