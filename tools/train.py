"""Train a model from a config: ``python tools/train.py CONFIG [options]``.

``--epochs N`` (or ``--cfg-options train_cfg.max_epochs=N``) trains a shorter or
longer run of the same recipe: the epoch-based schedulers' ``end`` / ``T_max`` /
milestones and the checkpoint and validation intervals that covered the whole run
follow N (``wsss_mm.apis.schedule.set_max_epochs``).
"""

import argparse
import os

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description='Train a wsss_mm model')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go')
    parser.add_argument(
        '--resume',
        nargs='?',
        const='auto',
        default=None,
        metavar='CHECKPOINT',
        help='resume from CHECKPOINT, or from the latest checkpoint of the work '
        'dir when no path is given',
    )
    parser.add_argument('--amp', action='store_true', help='mixed precision training')
    parser.add_argument(
        '--epochs',
        type=int,
        help='train N epochs: sets train_cfg.max_epochs and fits the schedulers and the '
        'checkpoint / validation intervals of the whole run to it',
    )
    parser.add_argument('--data-root', help='override the data root of every dataloader')
    parser.add_argument(
        '--cfg-options',
        nargs='+',
        action=DictAction,
        help='override config settings, e.g. train_dataloader.batch_size=8',
    )
    parser.add_argument(
        '--launcher',
        choices=['none', 'pytorch', 'slurm', 'mpi'],
        default='none',
        help='job launcher',
    )
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args()
    from wsss_mm.utils.cli import at_least, check_ranges  # after --help: imports wsss_mm

    check_ranges(parser, args, {'--epochs': at_least(1), '--local-rank': at_least(0)})
    if args.epochs is not None:
        args.cfg_options = dict(args.cfg_options or {})
        set_by_option = args.cfg_options.setdefault('train_cfg.max_epochs', args.epochs)
        if set_by_option != args.epochs:
            parser.error(
                f'argument --epochs: {args.epochs} differs from --cfg-options '
                f'train_cfg.max_epochs={set_by_option}; give one'
            )
    if 'LOCAL_RANK' not in os.environ:
        os.environ['LOCAL_RANK'] = str(args.local_rank)
    return args


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis import close_distributed
    from wsss_mm.apis.train import build_runner, load_config

    cfg = load_config(args.config, args.cfg_options)
    runner = build_runner(
        cfg,
        work_dir=args.work_dir,
        config_path=args.config,
        data_root=args.data_root,
        launcher=args.launcher,
        resume=args.resume,
        amp=args.amp,
    )
    runner.train()
    close_distributed()


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
