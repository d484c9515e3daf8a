"""Test segmentors clean and under adversarial attacks (SegMix, Table 5).

    python tools/test_robustness.py --models [NAME=]CONFIG:CHECKPOINT ...
        --attacks clean fgsm pgd uap gd-uap-no gd-uap-part gd-uap-all [--eps E]
        [--surrogate [NAME=]CONFIG:CHECKPOINT ...] [--white-box first|each]
        [--perturbations NAME=FILE ...] [--data-root DIR] [--work-dir DIR]
        [--cfg-options KEY=VALUE ...]

Universal perturbations are crafted on each surrogate (a network that is not
evaluated; white box only on request) and added to every model's images, one column
``<attack>@<surrogate>`` each. Prints one row per model and one column per attack
(mIoU, %), and as its LAST line one JSON object
``{"<config stem or NAME>": {"clean": mIoU, "<attack>[@<surrogate>]": mIoU, ...}, ...}``.
Crafted perturbations are cached in ``WORK_DIR/perturbations/`` (docs/robustness.md).
"""

import argparse
import json
import os.path as osp

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument(
        '--models',
        nargs='+',
        required=True,
        metavar='[NAME=]CONFIG:CHECKPOINT',
        help='segmentors (JSON keys: NAME, else the config stem)',
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
    parser.add_argument(
        '--surrogate',
        nargs='+',
        default=[],
        metavar='[NAME=]CONFIG:CHECKPOINT',
        help='networks the universal perturbations are crafted on (not an evaluated model)',
    )
    parser.add_argument(
        '--white-box',
        choices=['first', 'each'],
        help='also craft the universal perturbations on the first evaluated model '
        '(applied to all) or on each one for itself',
    )
    parser.add_argument(
        '--perturbations',
        nargs='+',
        default=[],
        metavar='NAME=FILE',
        help='universal perturbations made elsewhere (.npy, float32 (3, h, w), RGB pixels)',
    )
    parser.add_argument('--uap-steps', type=int, default=200, help='UAP minibatch updates')
    parser.add_argument('--uap-step-size', type=float, help='UAP step, pixels (default eps/10)')
    parser.add_argument('--gd-uap-steps', type=int, default=200, help='GD-UAP Adam steps')
    parser.add_argument(
        '--gd-uap-part',
        type=float,
        default=0.284,
        help='share of the crafting images, least background first, gd-uap-part sees',
    )
    parser.add_argument(
        '--craft-split',
        default='ImageSets/Segmentation/train.txt',
        help='crafting and held-out images (split file relative to the data root)',
    )
    parser.add_argument(
        '--holdout',
        type=float,
        default=0.1,
        help='last share of the craft split held out to keep the perturbation that fools '
        'most (0: the last iterate)',
    )
    parser.add_argument(
        '--check-every', type=int, help='crafting steps between checks (default steps/10)'
    )
    parser.add_argument(
        '--patience', type=int, default=10, help='checks without improvement before stopping'
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
        ValueRange,
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
            '--check-every': at_least(1),
            '--patience': at_least(1),
            '--holdout': ValueRange(0, 1, high_open=True),
            '--seed': at_least(0),
        },
    )
    return args


def crafted(perturbation) -> str:
    """How a universal perturbation of this run was made: crafted (seconds) or read."""
    if perturbation.attack == 'file':
        return 'given'
    if perturbation.crafted_s is None:
        return 'read from the cache'
    return f'crafted in {perturbation.crafted_s:.1f} s'


def main(args: argparse.Namespace) -> None:
    from prettytable import PrettyTable

    from wsss_mm.apis.robustness import check_attacks, evaluate_robustness
    from wsss_mm.apis.universal_perturbations import (
        AttackSettings,
        parse_network_spec,
        parse_perturbation_spec,
    )
    from wsss_mm.utils.quiet import quiet_console
    from wsss_mm.utils.setup_env import register_all_modules

    attacks = check_attacks(args.attacks)
    models = [parse_network_spec(spec) for spec in args.models]
    surrogates = [parse_network_spec(spec) for spec in args.surrogate]
    files = [parse_perturbation_spec(spec) for spec in args.perturbations]
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
        craft_split=args.craft_split,
        holdout=args.holdout,
        check_every=args.check_every,
        patience=args.patience,
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
            surrogates=surrogates,
            white_box=args.white_box,
            perturbation_files=files,
            cfg_options=args.cfg_options,
            data_root=args.data_root,
            device=args.device,
        )
    columns = list(next(iter(report.miou.values())))
    speed = PrettyTable(['model', *columns], align='r')
    for name, row in report.images_per_s.items():
        speed.add_row([name, *(f'{row[c]:.2f}' for c in columns)])
    print(f'images/s under attacks (attack + prediction, device {report.device})')
    print(speed)
    if report.perturbations:
        made = PrettyTable(
            ['perturbation', 'attack', 'made on', 'fooling rate', 'kept step', 'crafted'],
            align='l',
        )
        for p in report.perturbations:
            made.add_row(
                [
                    p.name,
                    p.attack,
                    p.made_on,
                    '' if p.fooling_rate is None else f'{p.fooling_rate:.4f}',
                    '' if p.kept_step is None else p.kept_step,
                    crafted(p),
                ]
            )
        print('universal perturbations (fooling rate: on the held-out images of the network')
        print('that made it)')
        print(made)
    table = PrettyTable(['model', *columns], align='r')
    for name, row in report.miou.items():
        table.add_row([name, *(f'{row[c]:.2f}' for c in columns)])
    print(f'mIoU (%) under attacks, eps = {args.eps:g} pixels (0-255)')
    print(table)
    print(json.dumps(report.miou))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
