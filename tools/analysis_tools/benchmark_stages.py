"""What each pipeline stage costs at paper resolution: images/s and peak memory.

    python tools/analysis_tools/benchmark_stages.py [CONFIG ...] [--device cpu|cuda]
        [--num-images N] [--stages NAME ...] [--batch-size B] [--advcam-steps T]
        [--scale F] [--threads N] [--memory-limit-gb G]

Stages (``--stages`` picks a subset, in this order) and the config each uses:

==================  ==========================================  ==============================
stage               what is timed                               default config (configs/)
==================  ==========================================  ==============================
train_cam_r50       train step of the R50 CAM network, 512²     cam/cam_r50_voc.py
train_cam_r38d      train step of the ResNet-38d one, 448²      cam/cam_r38d_voc.py
train_cpn           train step of CPN (the triplet), 448²       cpn/cpn_r38_voc.py
slic                SLIC superpixels of CPN's CP patches, 448²  cpn/cpn_r38_voc.py
infer_cams          CAM, scales 0.5 1 1.5 2 + flip, 500x375     cam/cam_r50_voc.py
advcam              AdvCAM (T = 27), four scales + flip         advcam/advcam_r50_voc.py
crf                 one dense CRF (bg + 2 classes), 500x375     affinity/affinity_r50_voc_irn.py
affinity_labels     IRN's confident labels (two CRFs)           affinity/affinity_r50_voc_irn.py
random_walk         AffinityNet features + the walk at IRN's    affinity/affinity_r50_voc_irn.py
                    stride 4 (128x128 positions), 512x512
                    (the largest VOC image fits)
train_deeplab       DeepLab-v2 R101 train step, 321²            deeplab/deeplabv2_r101_voc_pseudo.py
test_deeplab        its multi-scale + flip test, 500x375        deeplab/deeplabv2_r101_voc_pseudo.py
==================  ==========================================  ==============================

The sizes come from the configs (crop sizes, ``cam_infer`` scales, the TTA
scales, AdvCAM's ``cam_methods`` options, ``crf``, ``affinity_labels``,
``random_walk``); VOC images are at most 500 px, so inference stages use
500x375 images. Weights are randomly initialised (timing needs no trained
weights), images are random smooth VOC-sized images, CAMs random. CAM images
carry two present classes.

CONFIG arguments replace defaults: ``STAGE=PATH`` for one stage, or a bare
``PATH``, which replaces the stages its model fits: an ``AffinityNet`` config
crf / affinity_labels / random_walk; a segmentor with a ``decode_head``
train_deeplab / test_deeplab; ``CPN`` train_cpn / slic; a CAM network with
``cam_methods.AdvCAM`` advcam; one with a ResNet-38d backbone train_cam_r38d;
any other CAM network train_cam_r50 / infer_cams.

Measurement. Each stage runs in a fresh Python process (this script, started
again with ``--child``), so that peak memory is that stage's own: on the CPU
the process's peak resident set (Linux ``VmHWM`` at its end; ``base MiB`` is
the resident set after imports, before the stage built anything), on CUDA
``torch.cuda.max_memory_allocated``. A train stage runs one untimed warm-up
step (optimizer state, allocator), inference stages one warm-up image on
CUDA only; then ``--num-images`` images are timed (train steps in batches of
``--batch-size``, default 2 on the CPU and the config's batch on CUDA).
``s/image`` is wall time over images; projections multiply it by VOC
``train`` (1,464 images) and ``train_aug`` (10,582) (for train stages: one
epoch). On the CPU each child may use at most ``--memory-limit-gb`` of
address space beyond its start (default 80% of the memory available when the
tool starts): a stage that needs more fails with a line saying so, and the
other stages still run.

``--scale F`` multiplies every image and crop side (for a quick look and the
tests; the table then is not at paper resolution and says so). ``--advcam-
steps`` replaces AdvCAM's T (the cost is linear in it; on 2 CPU cores one
500x375 image at T = 27 takes tens of minutes).

Output: a table, then as its last line one JSON object keyed by stage, each
``{"images_per_s", "s_per_image", "peak_mb", "base_mb", "voc_train_h",
"train_aug_h", "config", "input", "error"}`` (``error`` None unless the stage
failed; then the numbers are None).
"""

import argparse
import json
import os
import os.path as osp
import subprocess
import sys
import time
from typing import Dict, List, Optional, Tuple

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
CONFIGS = osp.join(REPO, 'configs')

#: stage -> (default config relative to configs/, kind: 'train' or 'infer')
STAGES: Dict[str, Tuple[str, str]] = {
    'train_cam_r50': ('cam/cam_r50_voc.py', 'train'),
    'train_cam_r38d': ('cam/cam_r38d_voc.py', 'train'),
    'train_cpn': ('cpn/cpn_r38_voc.py', 'train'),
    'slic': ('cpn/cpn_r38_voc.py', 'infer'),
    'infer_cams': ('cam/cam_r50_voc.py', 'infer'),
    'advcam': ('advcam/advcam_r50_voc.py', 'infer'),
    'crf': ('affinity/affinity_r50_voc_irn.py', 'infer'),
    'affinity_labels': ('affinity/affinity_r50_voc_irn.py', 'infer'),
    'random_walk': ('affinity/affinity_r50_voc_irn.py', 'infer'),
    'train_deeplab': ('deeplab/deeplabv2_r101_voc_pseudo.py', 'train'),
    'test_deeplab': ('deeplab/deeplabv2_r101_voc_pseudo.py', 'infer'),
}
VOC_TRAIN, VOC_TRAIN_AUG = 1464, 10582
VOC_SIZE = (375, 500)  # (H, W) of a typical VOC image
WALK_SIZE = (512, 512)
WALK_STRIDE = 4  # IRN's


# ---------------------------------------------------------------- parent side
def parse_args(argv: Optional[List[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__.split('\n')[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog='stages: ' + ' '.join(STAGES),
    )
    parser.add_argument(
        'configs', nargs='*', metavar='CONFIG', help='STAGE=PATH or PATH (see above)'
    )
    parser.add_argument('--device', choices=['cpu', 'cuda'], default='cpu')
    parser.add_argument('--num-images', type=int, default=4, help='timed images per stage')
    parser.add_argument('--stages', nargs='+', metavar='NAME', help='default: all')
    parser.add_argument(
        '--batch-size', type=int, help='train-step batch (default 2 on cpu, the config\'s on cuda)'
    )
    parser.add_argument('--advcam-steps', type=int, help='AdvCAM T (default: the config\'s)')
    parser.add_argument(
        '--scale', type=float, default=1.0, help='multiply every image side (default 1)'
    )
    parser.add_argument('--threads', type=int, help='torch CPU threads')
    parser.add_argument(
        '--memory-limit-gb',
        type=float,
        help='CPU address space per stage beyond its start (default 80%% of available)',
    )
    parser.add_argument('--child', help=argparse.SUPPRESS)  # internal: run one stage
    args = parser.parse_args(argv)
    if args.child:
        return args
    from wsss_mm.utils.cli import at_least, check_ranges, positive  # after --help: imports wsss_mm

    check_ranges(
        parser,
        args,
        {
            '--num-images': at_least(1),
            '--batch-size': at_least(1),
            '--advcam-steps': at_least(1),
            '--scale': positive(),
            '--threads': at_least(1),
            '--memory-limit-gb': positive(),
        },
    )
    unknown = [s for s in args.stages or [] if s not in STAGES]
    if unknown:
        parser.error(f'unknown stage(s) {unknown}; choose from {list(STAGES)}')
    try:
        args.stage_configs = assign_configs(args.configs)
    except (FileNotFoundError, ValueError) as e:
        parser.error(str(e))
    return args


def stages_of_config(path: str) -> List[str]:
    """The stages a bare CONFIG replaces (module doc), from its model."""
    from wsss_mm.apis.train import load_config  # imports wsss_mm: stack fixes first

    cfg = load_config(path)
    model = cfg.get('model', {})
    kind = str(model.get('type', '')).split('.')[-1]
    if kind == 'AffinityNet':
        return ['crf', 'affinity_labels', 'random_walk']
    if 'decode_head' in model:
        return ['train_deeplab', 'test_deeplab']
    if kind == 'CPN':
        return ['train_cpn', 'slic']
    if 'AdvCAM' in cfg.get('cam_methods', {}):
        return ['advcam']
    if 'ResNet38d' in str(model.get('backbone', {}).get('type', '')):
        return ['train_cam_r38d']
    if 'cam_dataloader' in cfg:
        return ['train_cam_r50', 'infer_cams']
    raise ValueError(f'{path}: no stage fits its model ({kind}); give STAGE=PATH')


def assign_configs(configs: List[str]) -> Dict[str, str]:
    """stage -> config path: the defaults, replaced by the CONFIG arguments.

    Raises:
        FileNotFoundError: a config does not exist (named).
        ValueError: an unknown stage in STAGE=PATH, or a bare config no stage fits.
    """
    assigned = {name: osp.join(CONFIGS, rel) for name, (rel, _) in STAGES.items()}
    for item in configs:
        stage, sep, path = item.partition('=')
        if not sep:
            stage, path = '', item
        if stage and stage not in STAGES:
            raise ValueError(f'unknown stage "{stage}" in {item}; choose from {list(STAGES)}')
        if not osp.isfile(path):
            raise FileNotFoundError(f'config not found: {path}')
        for name in [stage] if stage else stages_of_config(path):
            assigned[name] = path
    return assigned


def run_stage(name: str, config: str, args: argparse.Namespace) -> dict:
    """Runs one stage in a fresh process; its last stdout line is its result."""
    settings = dict(
        stage=name,
        config=config,
        device=args.device,
        num_images=args.num_images,
        batch_size=args.batch_size,
        advcam_steps=args.advcam_steps,
        scale=args.scale,
        threads=args.threads,
        memory_limit_gb=args.memory_limit_gb,
    )
    proc = subprocess.run(
        [sys.executable, osp.abspath(__file__), '--child', json.dumps(settings)],
        capture_output=True,
        text=True,
    )
    lines = proc.stdout.strip().splitlines()
    try:
        return json.loads(lines[-1])
    except (IndexError, json.JSONDecodeError):
        tail = (proc.stderr.strip().splitlines() or ['no output'])[-1]
        how = f'killed by signal {-proc.returncode}' if proc.returncode < 0 else 'failed'
        return dict(error=f'{how} (exit {proc.returncode}): {tail}')


def hours(seconds: float) -> str:
    return f'{seconds / 3600:.2f} h' if seconds >= 360 else f'{seconds / 60:.1f} min'


def main(args: argparse.Namespace) -> None:
    from prettytable import PrettyTable

    names = [s for s in STAGES if s in (args.stages or STAGES)]
    if args.memory_limit_gb is None and args.device == 'cpu':
        args.memory_limit_gb = round(0.8 * available_memory_gb(), 1)
    print(
        f'device {args.device}, {args.num_images} image(s) per stage, scale {args.scale:g}'
        + ('' if args.scale == 1 else ' (NOT paper resolution)')
        + (f', memory limit {args.memory_limit_gb} GB per stage' if args.device == 'cpu' else ''),
        flush=True,
    )
    table = PrettyTable(
        [
            'stage',
            'input',
            'images/s',
            's/image',
            'peak MiB',
            'base MiB',
            f'VOC train ({VOC_TRAIN:,})',
            f'train_aug ({VOC_TRAIN_AUG:,})',
            'config',
        ],
        align='r',
    )
    table.align['stage'] = table.align['config'] = table.align['input'] = 'l'
    summary = {}
    for name in names:
        config = args.stage_configs[name]
        start = time.perf_counter()
        result = run_stage(name, config, args)
        rel = osp.relpath(config, CONFIGS) if config.startswith(CONFIGS) else config
        row = dict(
            images_per_s=None,
            s_per_image=None,
            peak_mb=None,
            base_mb=None,
            voc_train_h=None,
            train_aug_h=None,
            config=rel,
            input=result.get('input'),
            error=result.get('error'),
        )
        if row['error'] is None:
            s_img = result['seconds'] / result['images']
            row.update(
                images_per_s=round(1 / s_img, 4),
                s_per_image=round(s_img, 4),
                peak_mb=round(result['peak_mb'], 1),
                base_mb=round(result['base_mb'], 1),
                voc_train_h=round(s_img * VOC_TRAIN / 3600, 3),
                train_aug_h=round(s_img * VOC_TRAIN_AUG / 3600, 3),
            )
            table.add_row(
                [
                    name,
                    row['input'],
                    f'{1 / s_img:.3g}',
                    f'{s_img:.3g}',
                    f'{row["peak_mb"]:.0f}',
                    f'{row["base_mb"]:.0f}',
                    hours(s_img * VOC_TRAIN),
                    hours(s_img * VOC_TRAIN_AUG),
                    rel,
                ]
            )
        else:
            table.add_row([name, '-', '-', '-', '-', '-', '-', '-', rel])
            print(f'{name}: {row["error"]}', flush=True)
        print(f'{name}: done in {time.perf_counter() - start:.0f} s', flush=True)
        summary[name] = row
    print(table)
    print(json.dumps(summary))


def available_memory_gb() -> float:
    try:
        with open('/proc/meminfo') as f:
            for line in f:
                if line.startswith('MemAvailable:'):
                    return int(line.split()[1]) / 2**20
    except OSError:
        pass
    return 8.0


# ----------------------------------------------------------------- child side
def _status_mib(field: str) -> float:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1]) / 1024
    return float('nan')


def limit_memory(gb: Optional[float]) -> None:
    """Caps this process's address space at its current size + ``gb``, so
    that a stage too large for the machine fails with an allocation error
    instead of swapping or waking the OOM killer (CPU only: CUDA maps huge virtual
    ranges)."""
    import resource

    if not gb:
        return
    limit = int((_status_mib('VmSize') * 2**20) + gb * 2**30)
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def sized(size: Tuple[int, int], scale: float) -> Tuple[int, int]:
    return tuple(max(16, int(round(s * scale))) for s in size)


def smooth_image(size: Tuple[int, int], seed: int):
    """(H, W, 3) uint8: blurred noise (regions and edges, not white noise,
    so that SLIC and the CRF see something image-like)."""
    import cv2
    import numpy as np

    rng = np.random.default_rng(seed)
    small = rng.integers(0, 256, (max(2, size[0] // 16), max(2, size[1] // 16), 3), np.uint8)
    img = cv2.resize(small, size[::-1], interpolation=cv2.INTER_CUBIC)
    return np.clip(img.astype(np.int16) + rng.integers(-8, 9, img.shape), 0, 255).astype(np.uint8)


def random_cams(num: int, size: Tuple[int, int], seed: int):
    """(num, H, W) float32 in [0, 1], smooth blobs."""
    import numpy as np

    return np.stack(
        [smooth_image(size, seed + i)[..., 0].astype(np.float32) / 255 for i in range(num)]
    )


def child(settings: dict) -> dict:
    """Runs one stage (module doc); returns its result for the parent."""
    import torch

    device = torch.device(settings['device'])
    if device.type == 'cuda' and not torch.cuda.is_available():
        raise ValueError('--device cuda: CUDA is not available')
    if settings['threads']:
        torch.set_num_threads(settings['threads'])
    from wsss_mm.apis.train import load_config
    from wsss_mm.utils.setup_env import register_all_modules

    register_all_modules()
    cfg = load_config(settings['config'])
    if device.type == 'cpu':  # after the imports: the limit is the stage's own
        limit_memory(settings['memory_limit_gb'])
    base = _status_mib('VmRSS')
    if device.type == 'cuda':
        torch.cuda.reset_peak_memory_stats(device)
        base = torch.cuda.memory_allocated(device) / 2**20
    work, warmup, images, shape = STAGE_FUNCS[settings['stage']](cfg, settings, device)
    if STAGES[settings['stage']][1] == 'train' or device.type == 'cuda':
        warmup()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    start = time.perf_counter()
    work()
    if device.type == 'cuda':
        torch.cuda.synchronize(device)
    seconds = time.perf_counter() - start
    peak = (
        torch.cuda.max_memory_allocated(device) / 2**20
        if device.type == 'cuda'
        else _status_mib('VmHWM')
    )
    return dict(seconds=seconds, images=images, peak_mb=peak, base_mb=base, input=shape)


def _batches(settings: dict, cfg, device) -> Tuple[int, int]:
    """(batch size, timed steps) of a train stage."""
    batch = settings['batch_size']
    if batch is None:
        batch = 2 if device.type == 'cpu' else cfg.train_dataloader.get('batch_size', 2)
    steps = -(-settings['num_images'] // batch)
    return batch, steps


def _train_step_stage(cfg, settings: dict, device, make_batch):
    """A train step of ``cfg.model`` with its optim wrapper, random weights."""
    from mmengine.model import revert_sync_batchnorm
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import DefaultScope

    from wsss_mm.registry import MODELS

    size = sized(tuple(cfg.model.data_preprocessor['size']), settings['scale'])
    cfg.model.data_preprocessor['size'] = size  # it pads every batch to this size
    model = MODELS.build(cfg.model)
    if device.type == 'cpu':
        model = revert_sync_batchnorm(model)
    model = model.to(device).train()
    with DefaultScope.overwrite_default_scope('wsss_mm'):
        wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    batch, steps = _batches(settings, cfg, device)
    data = make_batch(model, batch, size)

    def work():
        for _ in range(steps):
            model.train_step(data, wrapper)

    return (
        work,
        lambda: model.train_step(data, wrapper),
        batch * steps,
        f'{batch}x{size[0]}x{size[1]}',
    )


def _cam_batch(model, batch: int, size):
    if 'benchmark_training' not in sys.modules:
        sys.path.insert(0, osp.dirname(osp.abspath(__file__)))
    from benchmark_training import random_batch

    return random_batch(model.num_classes, batch, size)


def _cpn_batch(model, batch: int, size):
    """A CAM batch plus CPN's complementary pair (a random 8x8 grid mask)."""
    import torch
    import torch.nn.functional as F

    data = _cam_batch(model, batch, size)
    g = torch.Generator().manual_seed(1)
    for sample in data['data_samples']:
        grid = (torch.rand(1, 1, 8, 8, generator=g) < 0.5).float()
        mask = F.interpolate(grid, size=size, mode='nearest')[0, 0].to(torch.uint8)
        sample.cp_mask = mask
        sample.cp_lambda = float(mask.float().mean())
    return data


def _seg_batch(model, batch: int, size):
    import torch
    from mmengine.structures import PixelData
    from mmseg.structures import SegDataSample

    g = torch.Generator().manual_seed(0)
    samples = []
    for _ in range(batch):
        sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=size, pad_shape=size))
        labels = torch.randint(0, 21, (1, *size), generator=g)
        sample.gt_sem_seg = PixelData(data=labels)
        samples.append(sample)
    inputs = [torch.randint(0, 255, (3, *size), generator=g, dtype=torch.uint8) for _ in samples]
    return dict(inputs=inputs, data_samples=samples)


def stage_train_cam(cfg, settings, device):
    return _train_step_stage(cfg, settings, device, _cam_batch)


def stage_train_cpn(cfg, settings, device):
    return _train_step_stage(cfg, settings, device, _cpn_batch)


def stage_train_deeplab(cfg, settings, device):
    return _train_step_stage(cfg, settings, device, _seg_batch)


def _cam_inputs(cfg, settings, device, seed: int):
    """A CAM network in eval mode, and per image its normalised (1, 3, H, W)
    input and (1, C) labels with two present classes."""
    import torch

    from wsss_mm.apis.inference import load_cam_network

    model = load_cam_network(cfg, None, str(device))
    size = sized(VOC_SIZE, settings['scale'])
    rows = []
    for i in range(settings['num_images'] + 1):  # + the warm-up image
        img = torch.from_numpy(smooth_image(size, seed + i)).permute(2, 0, 1).contiguous()
        x = model.data_preprocessor(dict(inputs=[img]), False)['inputs'].to(device)
        labels = torch.zeros(1, model.num_classes, device=device)
        labels[0, [i % model.num_classes, (i + 7) % model.num_classes]] = 1
        rows.append((x, labels))
    return model, rows, size


def _cam_stage(cfg, settings, device, method_name: str, options: dict):
    import torch

    from wsss_mm.apis.inference import build_cam_method
    from wsss_mm.cams import multiscale_cams

    model, rows, size = _cam_inputs(cfg, settings, device, seed=10)
    method = build_cam_method(method_name, cfg)
    for key, value in options.items():
        setattr(method, key, value)
    infer = dict(scales=(1.0, 0.5, 1.5, 2.0), flip=True)
    infer.update(cfg.get('cam_infer', {}))

    def one(x, labels):
        with torch.set_grad_enabled(method_name != 'CAM'):
            multiscale_cams(method, model, x, labels, infer['scales'], infer['flip'])

    scales = ','.join(f'{s:g}' for s in infer['scales'])
    flip = '+flip' if infer['flip'] else ''
    return (
        work_over(one, rows),
        lambda: one(*rows[0]),
        len(rows) - 1,
        f'{size[1]}x{size[0]} s{scales}{flip}',
    )


def stage_infer_cams(cfg, settings, device):
    return _cam_stage(cfg, settings, device, 'CAM', {})


def stage_advcam(cfg, settings, device):
    options = {}
    if settings['advcam_steps']:
        options['steps'] = settings['advcam_steps']
    work, warmup, images, shape = _cam_stage(cfg, settings, device, 'AdvCAM', options)
    steps = settings['advcam_steps'] or cfg.get('cam_methods', {}).get('AdvCAM', {}).get(
        'steps', 27
    )
    return work, warmup, images, f'{shape} T={steps}'


def _refine_inputs(settings, size, seed: int):
    import numpy as np

    return [
        (smooth_image(size, seed + i), np.array([3, 15]), random_cams(2, size, seed + 100 + i))
        for i in range(settings['num_images'] + 1)
    ]


def stage_crf(cfg, settings, device):
    import numpy as np

    from wsss_mm.refine.crf import DenseCRF

    crf = DenseCRF(**cfg.crf)
    size = sized(VOC_SIZE, settings['scale'])
    rows = _refine_inputs(settings, size, seed=20)

    def one(image, _, cams):
        crf(image, np.concatenate([np.full((1, *size), 0.25, np.float32), cams]))

    return (
        work_over(one, rows),
        lambda: one(*rows[0]),
        len(rows) - 1,
        f'{size[1]}x{size[0]} 3 labels',
    )


def stage_affinity_labels(cfg, settings, device):
    import torch

    from wsss_mm.refine.affinity_labels import affinity_labels
    from wsss_mm.refine.crf import DenseCRF

    options = dict(cfg.get('affinity_labels', {}))
    crf = DenseCRF(**cfg.crf) if options.get('crf') else None
    size = sized(VOC_SIZE, settings['scale'])
    rows = _refine_inputs(settings, size, seed=30)

    def one(image, keys, cams):
        affinity_labels(
            keys,
            torch.from_numpy(cams),
            options.get('fg_threshold', 0.3),
            options.get('bg_threshold', 0.05),
            crf,
            image,
        )

    crf_note = ' + 2 CRFs' if crf else ''
    return (
        work_over(one, rows),
        lambda: one(*rows[0]),
        len(rows) - 1,
        f'{size[1]}x{size[0]}{crf_note}',
    )


def stage_random_walk(cfg, settings, device):
    """The AffinityNet's features of a 512² image, resized to IRN's stride 4
    when the config's are coarser (affinity_r50_voc.py's are at stride 8;
    IRN walks at stride 4: 128x128 = 16384 positions), then the walk of
    :func:`walk_cams` with the config's ``random_walk`` options."""
    import torch
    import torch.nn.functional as F

    from wsss_mm.refine.random_walk import walk_cams
    from wsss_mm.registry import MODELS

    model = MODELS.build(cfg.model).to(device).eval()
    walk = dict(cfg.random_walk)
    size = sized(WALK_SIZE, settings['scale'])
    walk_size = (size[0] // WALK_STRIDE, size[1] // WALK_STRIDE)
    rows = _refine_inputs(settings, size, seed=40)

    @torch.no_grad()
    def one(image, _, cams):
        img = torch.from_numpy(image).permute(2, 0, 1).contiguous()
        x = model.data_preprocessor(dict(inputs=[img]), False)['inputs'].to(device)
        feats = model.extract_feat(x)
        if feats.shape[-2] < walk_size[0]:
            feats = F.interpolate(feats, size=walk_size, mode='bilinear', align_corners=False)
        walk_cams(torch.from_numpy(cams).to(device), feats[0], model.radius, **walk)
        return feats.shape[-2:]

    feat = one(*rows[0])
    shape = f'{size[1]}x{size[0]} walk {feat[1]}x{feat[0]} 2^{walk.get("exp_times", 8)}'
    return work_over(one, rows), lambda: one(*rows[0]), len(rows) - 1, shape


def work_over(one, rows):
    """Runs ``one(*row)`` over the timed rows (all but the warm-up row)."""

    def work():
        for row in rows[1:]:
            one(*row)

    return work


def stage_test_deeplab(cfg, settings, device):
    """mmseg's TTA the config describes: its Resize scale factors + flip,
    softmax averaged at the image size."""
    import torch
    import torch.nn.functional as F
    from mmengine.model import revert_sync_batchnorm

    from wsss_mm.registry import MODELS

    model = MODELS.build(cfg.model)
    model = revert_sync_batchnorm(model).to(device).eval()
    scales, flips = (0.5, 0.75, 1.0), (False, True)
    for step in cfg.get('tta_pipeline', []):
        if step.get('type') == 'TestTimeAug':
            scales = tuple(t['scale_factor'] for t in step['transforms'][0])
            flips = tuple(bool(t.get('prob', 0)) for t in step['transforms'][1])
    size = sized(VOC_SIZE, settings['scale'])
    images = [
        torch.from_numpy(smooth_image(size, 50 + i)).permute(2, 0, 1).contiguous()
        for i in range(settings['num_images'] + 1)
    ]

    @torch.no_grad()
    def one(img):
        total = 0
        for scale in scales:
            h, w = int(size[0] * scale + 0.5), int(size[1] * scale + 0.5)
            x = F.interpolate(img[None].float(), size=(h, w), mode='bilinear', align_corners=False)
            x = model.data_preprocessor(dict(inputs=[x[0]]), False)['inputs'].to(device)
            for flip in flips:
                xi = x.flip(-1) if flip else x
                meta = dict(img_shape=xi.shape[-2:], ori_shape=size, pad_shape=xi.shape[-2:])
                logits = model.encode_decode(xi, [meta])
                logits = logits.flip(-1) if flip else logits
                total = total + F.interpolate(
                    logits, size=size, mode='bilinear', align_corners=False
                ).softmax(1)
        return total.argmax(1)

    def work():
        for img in images[1:]:
            one(img)

    flip_note = '+flip' if True in flips else ''
    scale_note = ','.join(f'{s:g}' for s in scales)
    return (
        work,
        lambda: one(images[0]),
        len(images) - 1,
        f'{size[1]}x{size[0]} s{scale_note}{flip_note}',
    )


def stage_slic(cfg, settings, device):
    """CPN's SLIC (``SuperpixelComplementaryPatches`` of the train pipeline, run
    in the dataloader workers) on 448² images."""
    from wsss_mm.registry import TRANSFORMS

    step = next(
        (
            t
            for t in cfg.get('train_pipeline', [])
            if t.get('type') == 'SuperpixelComplementaryPatches'
        ),
        None,
    )
    if step is None:
        raise ValueError(
            f'{settings["config"]}: no SuperpixelComplementaryPatches in train_pipeline'
        )
    transform = TRANSFORMS.build(dict(step))
    size = sized(tuple(cfg.model.data_preprocessor['size']), settings['scale'])
    images = [smooth_image(size, 60 + i) for i in range(settings['num_images'] + 1)]

    def work():
        for img in images[1:]:
            transform.patches(img)

    shape = f'{size[1]}x{size[0]} {step.get("n_segments", 200)} segments'
    return work, lambda: transform.patches(images[0]), len(images) - 1, shape


STAGE_FUNCS = {
    'train_cam_r50': stage_train_cam,
    'train_cam_r38d': stage_train_cam,
    'train_cpn': stage_train_cpn,
    'slic': stage_slic,
    'infer_cams': stage_infer_cams,
    'advcam': stage_advcam,
    'crf': stage_crf,
    'affinity_labels': stage_affinity_labels,
    'random_walk': stage_random_walk,
    'train_deeplab': stage_train_deeplab,
    'test_deeplab': stage_test_deeplab,
}


HINT = '; raise --memory-limit-gb or lower --batch-size / --num-images'


def child_main(settings: dict) -> None:
    """Prints the stage's result (or its error) as one JSON line."""
    try:
        result = child(settings)
    except MemoryError:
        result = dict(error=f'out of memory (limit {settings["memory_limit_gb"]} GB){HINT}')
    except Exception as e:  # reported in the table, the other stages still run
        message = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        if 'memory' in message.lower() and 'alloc' in message.lower():
            limit = settings['memory_limit_gb']
            message = f'out of memory (limit {limit} GB{HINT}): {message}'
        result = dict(error=f'{type(e).__name__}: {message}')
        if os.environ.get('WSSS_MM_DEBUG'):
            raise
    print(json.dumps(result), flush=True)


if __name__ == '__main__':
    ARGS = parse_args()  # before the heavy imports: --help answers at once
    if ARGS.child:
        child_main(json.loads(ARGS.child))
    else:
        from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

        run_cli(lambda: main(ARGS))
