"""Run the WSSS pipeline end to end, skipping stages already done.

    python tools/run_pipeline.py CONFIG --work-dir DIR [--data-root DIR] [--method NAME]
        [--auto-refine] [--overwrite] [--verbose] [--cfg-options ...]

Stages: train the CAM network -> infer CAMs (multi-scale + flip) -> evaluate
the seeds -> + dense CRF -> affinity labels -> AffinityNet -> random walk and
its threshold sweep -> pseudo masks (WORK_DIR/pseudo_masks/<image_id>.png) ->
train the segmentation network on them (with --auto-refine: on whichever of
seeds, CRF-refined seeds and pseudo masks scores best on train) ->
multi-scale + flip test on val. The stages after the seeds need the config's
``pipeline`` section (configs/quickstart/pipeline_synthvoc.py). The table
marks every train-set stage that scores below the previous one. Each stage's
output lies in the work dir; the last line printed is one JSON object:
``seed_miou``, ``crf_miou``, ``walk_miou``, ``pseudo_miou``, ``val_miou``,
``floor_miou`` (null where a stage did not run), ``seg_trained_on`` and
``below_previous`` (the marked stages).

WORK_DIR/.recipe.json records what the work dir is made from (the resolved
config and sub-configs, --cfg-options, --method, --data-root, --auto-refine); a
rerun of another recipe is refused, naming the settings that differ, unless
``--overwrite``, which forgets the stage records and runs every stage again
(a per-image stage keeps the files of a folder whose own recipe still holds).

The terminal gets one line per stage, when it ends (with its Runner's log
file, WORK_DIR/<stage dir>/<timestamp>/<timestamp>.log), then the tables and
one line with the paths of WORK_DIR/gallery.html (the CAM gallery of the seeds,
the CRF-refined seeds, the walked scores and the pseudo masks side by side on the
CAM split: tools/analysis_tools/cam_gallery.py) and WORK_DIR/gallery_val.html (the
segmentation network's predictions on its test split), and the JSON line;
MMEngine's config dumps and training logs go only to those log files.
``--verbose`` prints them on the terminal too.
"""

import argparse
import json
from typing import List, Optional, Tuple

from mmengine.config import DictAction
from prettytable import PrettyTable


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CAM network config')
    parser.add_argument('--work-dir', required=True, help='where every stage writes')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument('--method', default='CAM', help='CAM method of the inference stage')
    parser.add_argument(
        '--auto-refine',
        action='store_true',
        help='train the segmentation network on whichever of the seeds, the '
        'CRF-refined seeds and the pseudo masks scores best on train',
    )
    parser.add_argument(
        '--overwrite',
        action='store_true',
        help='run every stage again where --work-dir was made by another recipe (its '
        '.recipe.json: config settings, --cfg-options, --method, --data-root, '
        '--auto-refine): its stage records are forgotten; without it such a work dir is '
        'refused',
    )
    parser.add_argument(
        '--verbose',
        action='store_true',
        help="MMEngine's logs on the terminal too (they are always in each stage's work dir)",
    )
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, default={}, help='override config settings'
    )
    return parser.parse_args()


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.inference import build_cam_method
    from wsss_mm.apis.pipeline import PipelineContext, run_pipeline, write_gallery
    from wsss_mm.apis.train import load_config
    from wsss_mm.utils.setup_env import register_all_modules

    register_all_modules()
    # fail before any work on a missing config or an unknown CAM method
    build_cam_method(args.method, load_config(args.config, dict(args.cfg_options)))
    ctx = PipelineContext(
        args.config,
        args.work_dir,
        args.data_root,
        args.method,
        dict(args.cfg_options),
        args.auto_refine,
        args.overwrite,
    )
    results = run_pipeline(ctx, verbose=args.verbose)
    print(format_tables(results, args.method))
    pages = write_gallery(ctx)
    if pages:
        print(f'gallery of the stages (open in a browser): {" ".join(pages)}')
    print(json.dumps(final_numbers(results)))


def stage_value(results: dict, stage: str, key: str) -> Optional[float]:
    """``results[stage][key]`` rounded to 2 decimals; None when absent."""
    value = results.get(stage, {}).get(key)
    return None if value is None else round(value, 2)


def final_numbers(results: dict) -> dict:
    """The last line's numbers (percent mIoU) and the label maps the
    segmentation network learned from."""
    return dict(
        seed_miou=stage_value(results, 'eval_cams', 'seed_miou'),
        crf_miou=stage_value(results, 'eval_crf', 'crf_miou'),
        walk_miou=stage_value(results, 'eval_walk', 'walk_miou'),
        pseudo_miou=stage_value(results, 'pseudo_masks', 'pseudo_miou'),
        val_miou=stage_value(results, 'test_seg', 'val_miou'),
        floor_miou=stage_value(results, 'eval_cams', 'floor_miou'),
        seg_trained_on=results.get('select_masks', {}).get('choice'),
        below_previous=[label for label, _, mark in train_rows(results) if mark],
    )


def train_rows(results: dict) -> List[Tuple[str, Optional[float], str]]:
    """The stages scored on the training images, in pipeline order:
    ``(label, mIoU, mark)``. A stage is marked where it scores below a stage
    it refines: the CRF and the random walk refine the seeds, the pseudo
    masks the walk (and, through it, the seeds)."""
    seeds = results['eval_cams']
    crf = results.get('eval_crf', {})
    walk = results.get('eval_walk', {})
    pseudo = results.get('pseudo_masks', {})
    rows = [
        ('seeds', f' (bg threshold {seeds["seed_threshold"]:.2f})', seeds['seed_miou'], []),
        (
            'seeds + dense CRF',
            ' (not run: no pydensecrf2)' if 'unavailable' in crf else '',
            crf.get('crf_miou'),
            ['seeds'],
        ),
        (
            'random walk',
            f' (best bg threshold {walk["walk_threshold"]:.2f})'
            if walk.get('walk_threshold') is not None
            else '',
            walk.get('walk_miou'),
            ['seeds'],
        ),
        (
            'pseudo masks',
            ' (random walk'
            + (' + CRF' if pseudo.get('crf') else '')
            + (f', bg threshold {pseudo["threshold"]:.2f})' if 'threshold' in pseudo else ')'),
            pseudo.get('pseudo_miou'),
            ['random walk', 'seeds'],
        ),
    ]
    scores = {name: miou for name, _, miou, _ in rows}
    marked = []
    for name, detail, miou, inputs in rows:
        below = [i for i in inputs if None not in (miou, scores[i]) and miou < scores[i]]
        marked.append((name + detail, miou, f'<< below {" and ".join(below)}' if below else ''))
    return marked


def format_tables(results: dict, method: str) -> str:
    """Per-class IoU of the train-set stages; the mIoU of each stage, marked
    where it falls below the previous one; the segmentation network's
    training masks; the time each stage took."""
    seeds = results['eval_cams']
    columns = [
        (name, results.get(stage, {}).get('class_iou'))
        for name, stage in [
            ('seeds', 'eval_cams'),
            ('+CRF', 'eval_crf'),
            ('walk', 'eval_walk'),
            ('pseudo', 'pseudo_masks'),
        ]
    ]
    columns = [(name, ious) for name, ious in columns if ious]
    table = PrettyTable(['class'] + [name for name, _ in columns], align='r')
    table.align['class'] = 'l'
    for i, name in enumerate(seeds['class_names']):
        table.add_row([name] + [f'{ious[i]:.2f}' for _, ious in columns])
    lines = ['', table.get_string()]
    rows = [('uniform-map floor (image labels only)', seeds['floor_miou'], '')]
    rows += [
        (label.replace('seeds (', f'seeds ({method}, ', 1), miou, mark)
        for label, miou, mark in train_rows(results)
    ]
    rows.append(
        ('segmentation val (multi-scale + flip)', results.get('test_seg', {}).get('val_miou'), '')
    )
    lines += ['', f'{"stage (train images; last row: val)":<58}{"mIoU":>8}']
    lines += [
        f'{label:<58}{"-" if miou is None else f"{miou:.2f}":>8}  {mark}'.rstrip()
        for label, miou, mark in rows
    ]
    selected = results.get('select_masks')
    if selected:
        how = 'picked by --auto-refine on train' if selected['auto_refine'] else 'default'
        lines.append(f'segmentation trained on: {selected["choice"]} ({how})')
    times = ', '.join(f'{name} {r["seconds"]:.0f}' for name, r in results.items() if 'seconds' in r)
    lines += ['', f'stage times (s, when they ran): {times}']
    return '\n'.join(lines)


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
