"""What CPN's refinement does to its seeds: how far PCM's affinity spreads each
pixel's maps, and how the PCM and PRCM parts of the refined map compare.

    python tools/analysis_tools/cpn_refinement.py CONFIG CHECKPOINT --data-root DIR
        [--split LIST] [--reinit-refinement] [--cfg-options KEY=VALUE ...]

For every image of the split (one scale, no flip, the classes of its ground-truth
mask), the seeds ``Y'`` of the CAMs go through PCM and PRCM
(``Ỹ = Y'·J + Y' ∘ softmax(P_R)``). Per image: ``spread``, the mean over the grid of
the effective number of pixels that each pixel's PCM mean draws on
(``1 / Σ_i J_ij²``), as a share of the grid (1: every pixel is the image's
average; ``1 / hw``: no propagation). Per (image, class) pair: the peaks of the
PCM and PRCM parts relative to the seed's peak (1), and the share of the PCM
part's mass on the background (the ground truth at the grid).
``--reinit-refinement`` gives PCM / PRCM their initialisation: the untrained
reference. The last line printed is one JSON object ``{"spread", "pcm_peak",
"prcm_peak", "pcm_background_share", "images", "pairs"}`` (means).
"""

import argparse
import json
import os.path as osp

from prettytable import PrettyTable


def parse_args() -> argparse.Namespace:
    from mmengine.config import DictAction

    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('config', help='CPN config')
    parser.add_argument('checkpoint', help='trained CPN checkpoint')
    parser.add_argument('--data-root', required=True, help='VOC- or COCO-layout data root')
    parser.add_argument(
        '--split',
        help='split file (default: the layout\'s train split, '
        'ImageSets/Segmentation/train.txt or COCO\'s train.txt)',
    )
    parser.add_argument(
        '--reinit-refinement',
        action='store_true',
        help='PCM and PRCM as initialised, the rest from the checkpoint',
    )
    parser.add_argument('--device', default='cpu', help='cpu or cuda (default cpu)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=DictAction, help='override config settings'
    )
    return parser.parse_args()


def refinement_stats(model, img_ids, data_root: str) -> dict:
    """The means over the split's images and (image, class) pairs (module
    docstring) of a CPN in eval mode."""
    import numpy as np
    import torch
    import torch.nn.functional as F

    from wsss_mm.datasets.data_layout import detect_layout
    from wsss_mm.datasets.transforms import PackCAMInputs
    from wsss_mm.datasets.voc_layout import IGNORE_INDEX, find_mask
    from wsss_mm.evaluation.ground_truth import gt_mask_dirs
    from wsss_mm.registry import CAM_METHODS
    from wsss_mm.utils.io import read_image, read_mask

    layout, mask_dirs = detect_layout(data_root), gt_mask_dirs(data_root)
    method = CAM_METHODS.build(dict(type='CAM'))
    device = next(model.parameters()).device
    spreads, pairs = [], []
    for img_id in img_ids:
        mask_path = find_mask(mask_dirs, img_id)
        if mask_path is None:
            raise FileNotFoundError(f'{img_id}: no ground-truth mask in {mask_dirs}')
        gt = read_mask(mask_path)
        classes = sorted(int(c) for c in np.unique(gt) if c not in (0, IGNORE_INDEX))
        if not classes:
            continue
        img = read_image(layout.image_path(data_root, img_id))
        packed = PackCAMInputs().transform(
            dict(img=img, img_shape=img.shape[:2], ori_shape=img.shape[:2])
        )
        data = model.data_preprocessor(
            dict(inputs=[packed['inputs']], data_samples=[packed['data_samples']]), False
        )
        inputs = data['inputs'].to(device)
        labels = torch.zeros(1, model.num_classes, device=device)
        labels[0, [c - 1 for c in classes]] = 1
        with torch.no_grad():
            stage_feats, _ = model.extract_feats(inputs)
            seeds = model.seed_maps(method(model, inputs, labels), labels)
            feats = model.pcm.aggregate(inputs, stage_feats, seeds.shape[-2:])
            aff = model.pcm.affinity(feats)[0]
            pcm = model.pcm(seeds, feats)[0]
            prcm = (
                model.prcm(seeds, feats, F.relu(model.pcm.embed(feats)))[0]
                if model.prcm is not None
                else torch.zeros_like(pcm)
            )
        spreads.append(float((1 / (aff**2).sum(dim=0)).mean()) / aff.shape[0])
        grid = torch.from_numpy(gt.astype(np.int64))[None, None].float()
        for c in classes:
            obj = F.interpolate((grid == c).float(), pcm.shape[-2:], mode='area')[0, 0] > 0.5
            bg = F.interpolate((grid == 0).float(), pcm.shape[-2:], mode='area')[0, 0] > 0.5
            peak = float(seeds[0, c].max())
            if peak <= 0 or not obj.any():
                continue
            mass = float(pcm[c].sum())
            pairs.append(
                (
                    float(pcm[c].max()) / peak,
                    float(prcm[c].max()) / peak,
                    float(pcm[c][bg.to(device)].sum()) / mass if mass > 0 else 0.0,
                )
            )
    if not spreads or not pairs:
        raise ValueError('no image of the split has a foreground class with a seed')
    pcm_peak, prcm_peak, on_bg = (float(np.mean(v)) for v in zip(*pairs))
    return dict(
        spread=round(float(np.mean(spreads)), 4),
        pcm_peak=round(pcm_peak, 4),
        prcm_peak=round(prcm_peak, 4),
        pcm_background_share=round(on_bg, 4),
        images=len(spreads),
        pairs=len(pairs),
    )


def main(args: argparse.Namespace) -> None:
    import torch
    from mmengine.runner import load_checkpoint

    from wsss_mm.apis import init_model
    from wsss_mm.apis.config_utils import resolve_split
    from wsss_mm.datasets.data_layout import detect_layout
    from wsss_mm.models.classifiers import CPN
    from wsss_mm.utils.io import read_split

    model = init_model(args.config, None, args.device, args.cfg_options)
    if not isinstance(model, CPN):
        raise TypeError(f'{args.config}: the model is a {type(model).__name__}, not a CPN')
    if not osp.isfile(args.checkpoint):
        raise FileNotFoundError(f'checkpoint not found: {args.checkpoint}')
    load_checkpoint(model, args.checkpoint, map_location='cpu', strict=True, logger='silent')
    torch.manual_seed(0)
    if args.reinit_refinement:
        for module in (model.pcm, model.prcm):
            if module is not None:
                module._is_init = False
                module.init_weights()
    img_ids = read_split(
        resolve_split(args.split or detect_layout(args.data_root).train_split, args.data_root)
    )
    stats = refinement_stats(model, img_ids, args.data_root)
    table = PrettyTable(list(stats), align='r')
    table.add_row(list(stats.values()))
    print(table)
    print(json.dumps(stats))


if __name__ == '__main__':
    ARGS = parse_args()
    from wsss_mm.utils.cli import run_cli  # imports wsss_mm: stack fixes first

    run_cli(lambda: main(ARGS))
