"""Test segmentors clean and under adversarial attacks (SegMix, Table 5).

    python tools/test_robustness.py --models CONFIG:CHECKPOINT [CONFIG:CHECKPOINT ...]
        --attacks clean fgsm pgd uap gd-uap-no gd-uap-part gd-uap-all [--eps E]
        [--surrogate CONFIG:CHECKPOINT] [--gd-uap-model CONFIG:CHECKPOINT]
        [--data-root DIR] [--work-dir DIR] [--cfg-options KEY=VALUE ...]

Prints one row per model and one column per attack (mIoU, %), and as its LAST line
one JSON object ``{"<config stem>": {"clean": mIoU, "<attack>": mIoU, ...}, ...}``.
Universal perturbations are cached in ``WORK_DIR/perturbations/`` (docs/robustness.md).
"""

import argparse
import json
import os.path as osp

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--models', nargs='+', required=True, metavar='CONFIG:CHECKPOINT', help='segmentors'
    )
    parser.add_argument(
        '--attacks',
        nargs='+',
        required=True,
        metavar='NAME',
        help='clean, fgsm, pgd, uap, gd-uap-no, gd-uap-part, gd-uap-all '
        '(wsss_mm.apis.robustness.ATTACKS)',
    )
    parser.add_argument('--eps', type=float, default=10.0, help='L-inf radius, pixels 0-255')
    parser.add_argument('--pgd-steps', type=int, default=10, help='PGD iterations')
    parser.add_argument('--pgd-step-size', type=float, help='PGD step, pixels (default eps/4)')
    parser.add_argument('--no-random-start', action='store_true', help='PGD starts at the image')
    parser.add_argument('--uap-steps', type=int, default=200, help='UAP minibatch updates')
    parser.add_argument('--uap-step-size', type=float, help='UAP step, pixels (default eps/10)')
    parser.add_argument('--gd-uap-steps', type=int, default=200, help='GD-UAP Adam steps')
    parser.add_argument(
        '--gd-uap-part', type=float, default=0.1, help='fraction of the split gd-uap-part sees'
    )
    parser.add_argument(
        '--gd-uap-split',
        default='ImageSets/Segmentation/train.txt',
        help='GD-UAP training images (split file relative to the data root)',
    )
    parser.add_argument(
        '--uap-size', type=int, nargs=2, metavar=('H', 'W'), help='GD-UAP perturbation size'
    )
    parser.add_argument(
        '--fit',
        choices=['resize', 'tile'],
        default='resize',
        help='how a universal perturbation meets an image of another size',
    )
    parser.add_argument('--surrogate', metavar='CONFIG:CHECKPOINT', help='classifier for uap')
    parser.add_argument(
        '--gd-uap-model',
        metavar='CONFIG:CHECKPOINT',
        help='model whose backbone GD-UAP attacks (default: the first of --models)',
    )
    parser.add_argument('--data-root', help='override the data root of every dataloader')
    parser.add_argument(
        '--work-dir', default='work_dirs/robustness', help='perturbation cache and results'
    )
    parser.add_argument('--device', help='cpu or cuda (default: cuda when available)')
    parser.add_argument('--seed', type=int, default=0, help='random starts and initialisations')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override settings of every config'
    )
    args = parser.parse_args()
    from wsss_mm.utils.cli import (  # after --help: imports wsss_mm
        at_least,
        between,
        check_ranges,
        positive,
    )

    check_ranges(
        parser,
        args,
        {
            '--eps': positive(),
            '--pgd-steps': at_least(1),
            '--pgd-step-size': positive(),
            '--uap-steps': at_least(1),
            '--uap-step-size': positive(),
            '--gd-uap-steps': at_least(1),
            '--gd-uap-part': between(0, 1, low_open=True),
            '--uap-size': at_least(1),
            '--seed': at_least(0),
        },
    )
    return args


def main(args: argparse.Namespace) -> None:
    from prettytable import PrettyTable

    from wsss_mm.apis.robustness import (
        AttackSettings,
        check_attacks,
        evaluate_robustness,
        parse_model_spec,
    )
    from wsss_mm.utils.quiet import quiet_console
    from wsss_mm.utils.setup_env import register_all_modules

    attacks = check_attacks(args.attacks)
    models = [parse_model_spec(spec) for spec in args.models]
    surrogate = parse_model_spec(args.surrogate) if args.surrogate else None
    gd_uap_model = parse_model_spec(args.gd_uap_model) if args.gd_uap_model else None
    register_all_modules()
    settings = AttackSettings(
        eps=args.eps,
        pgd_steps=args.pgd_steps,
        pgd_step_size=args.pgd_step_size,
        random_start=not args.no_random_start,
        uap_steps=args.uap_steps,
        uap_step_size=args.uap_step_size,
        gd_uap_steps=args.gd_uap_steps,
        gd_uap_part=args.gd_uap_part,
        gd_uap_split=args.gd_uap_split,
        size=tuple(args.uap_size) if args.uap_size else None,
        fit=args.fit,
        seed=args.seed,
    )
    with quiet_console(log_file=osp.join(args.work_dir, 'robustness.log')):
        report = evaluate_robustness(
            models,
            attacks,
            args.work_dir,
            settings=settings,
            surrogate=surrogate,
            gd_uap_model=gd_uap_model,
            cfg_options=args.cfg_options,
            data_root=args.data_root,
            device=args.device,
        )
    speed = PrettyTable(['model', *attacks], align='r')
    for stem, row in report.images_per_s.items():
        speed.add_row([stem, *(f'{row[a]:.2f}' for a in attacks)])
    print(f'images/s under attacks (attack + prediction, device {report.device})')
    print(speed)
    for attack, seconds in report.craft_seconds.items():
        made = 'read from the cache' if seconds is None else f'crafted in {seconds:.1f} s'
        print(f'{attack} perturbation: {made}')
    table = PrettyTable(['model', *attacks], align='r')
    for stem, row in report.miou.items():
        table.add_row([stem, *(f'{row[a]:.2f}' for a in attacks)])
    print(f'mIoU (%) under attacks, eps = {args.eps:g} pixels (0-255)')
    print(table)
    print(json.dumps(report.miou))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
