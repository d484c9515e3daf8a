"""Run the WSSS pipeline end to end, skipping stages already done.

    python tools/run_pipeline.py CONFIG --work-dir DIR [--data-root DIR] [--method NAME]

Stages: train the CAM network -> infer CAMs (multi-scale + flip) -> evaluate
the seeds. Each stage's output lies in the work dir; the last line printed is
one JSON object with the final numbers.
"""
import argparse
import json

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
    from wsss_mm.apis.pipeline import PipelineContext, run_pipeline
    from wsss_mm.apis.train import load_config
    from wsss_mm.utils.setup_env import register_all_modules
    register_all_modules()
    load_config(args.config)  # fail early, naming a missing config
    ctx = PipelineContext(args.config, args.work_dir, args.data_root, args.method,
                          dict(args.cfg_options))
    results = run_pipeline(ctx)
    seeds = results['eval_cams']
    print(f'\n{"class":<14}{"IoU":>8}')
    for name, iou in zip(seeds['class_names'], seeds['class_iou']):
        print(f'{name:<14}{iou:>8.2f}')
    print(f'\n{"stage":<34}{"mIoU":>8}')
    print(f'{"uniform-map floor":<34}{seeds["floor_miou"]:>8.2f}')
    print(f'{"seeds (" + args.method + ", bg " + str(seeds["seed_threshold"]) + ")":<34}'
          f'{seeds["seed_miou"]:>8.2f}')
    print(json.dumps(dict(seed_miou=round(seeds['seed_miou'], 2),
                          floor_miou=round(seeds['floor_miou'], 2))))


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first
    run_cli(lambda: main(ARGS))
