"""Run the WSSS pipeline end to end, skipping stages already done.

    python tools/run_pipeline.py CONFIG --work-dir DIR [--data-root DIR] [--method NAME]

Stages: train the CAM network -> infer CAMs (multi-scale + flip) -> evaluate
the seeds -> + dense CRF -> affinity labels -> AffinityNet -> random-walk
pseudo masks (WORK_DIR/pseudo_masks/<image_id>.png) -> train the segmentation
network on them -> multi-scale + flip test on val. The stages after the seeds
need the config's ``pipeline`` section (configs/quickstart/pipeline_synthvoc.py).
Each stage's output lies in the work dir; the last line printed is one JSON
object: ``seed_miou``, ``crf_miou``, ``pseudo_miou``, ``val_miou``,
``floor_miou`` (null where a stage did not run).
"""
import argparse
import json
from typing import Optional

from mmengine.config import DictAction


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CAM network config')
    parser.add_argument('--work-dir', required=True, help='where every stage writes')
    parser.add_argument('--data-root', help='override the data root')
    parser.add_argument('--method', default='CAM', help='CAM method of the inference stage')
    parser.add_argument('--cfg-options', nargs='+', action=DictAction, default={},
                        help='override config settings')
    return parser.parse_args()


def main(args: argparse.Namespace) -> None:
    from wsss_mm.apis.infer_cams import build_cam_method
    from wsss_mm.apis.pipeline import PipelineContext, run_pipeline
    from wsss_mm.apis.train import load_config
    from wsss_mm.utils.setup_env import register_all_modules
    register_all_modules()
    # fail before any work on a missing config or an unknown CAM method
    build_cam_method(args.method, load_config(args.config, dict(args.cfg_options)))
    ctx = PipelineContext(args.config, args.work_dir, args.data_root, args.method,
                          dict(args.cfg_options))
    results = run_pipeline(ctx)
    print(format_tables(results, args.method))
    print(json.dumps(final_numbers(results)))


def stage_value(results: dict, stage: str, key: str) -> Optional[float]:
    """``results[stage][key]`` rounded to 2 decimals; None when absent."""
    value = results.get(stage, {}).get(key)
    return None if value is None else round(value, 2)


def final_numbers(results: dict) -> dict:
    """The last line's numbers (percent mIoU)."""
    return dict(seed_miou=stage_value(results, 'eval_cams', 'seed_miou'),
                crf_miou=stage_value(results, 'eval_crf', 'crf_miou'),
                pseudo_miou=stage_value(results, 'pseudo_masks', 'pseudo_miou'),
                val_miou=stage_value(results, 'test_seg', 'val_miou'),
                floor_miou=stage_value(results, 'eval_cams', 'floor_miou'))


def format_tables(results: dict, method: str) -> str:
    """Per-class IoU of the seeds, +CRF and the pseudo masks; the mIoU of
    each stage; the time each stage took."""
    seeds = results['eval_cams']
    crf = results.get('eval_crf', {})
    pseudo = results.get('pseudo_masks', {})
    columns = [(name, r['class_iou']) for name, r in
               [('seeds', seeds), ('+CRF', crf), ('pseudo', pseudo)] if r.get('class_iou')]
    lines = ['', f'{"class":<14}' + ''.join(f'{name:>8}' for name, _ in columns)]
    for i, name in enumerate(seeds['class_names']):
        lines.append(f'{name:<14}' + ''.join(f'{ious[i]:>8.2f}' for _, ious in columns))
    rows = [
        ('uniform-map floor', seeds['floor_miou']),
        (f'seeds ({method}, bg threshold {seeds["seed_threshold"]})', seeds['seed_miou']),
        ('seeds + dense CRF' + (' (not run: no pydensecrf2)' if 'unavailable' in crf else ''),
         crf.get('crf_miou')),
        ('pseudo masks (random walk' + (' + CRF)' if pseudo.get('crf') else ')'),
         pseudo.get('pseudo_miou')),
        ('segmentation val (multi-scale + flip)', results.get('test_seg', {}).get('val_miou')),
    ]
    lines += ['', f'{"stage":<46}{"mIoU":>8}']
    lines += [f'{label:<46}{"-" if miou is None else f"{miou:.2f}":>8}' for label, miou in rows]
    times = ', '.join(f'{name} {r["seconds"]:.0f}' for name, r in results.items()
                      if 'seconds' in r)
    lines += ['', f'stage times (s, when they ran): {times}']
    return '\n'.join(lines)


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first
    run_cli(lambda: main(ARGS))
