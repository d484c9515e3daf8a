"""Robustness of segmentors under adversarial attacks (SegMix, seed 000, Table 5):
the library function behind ``tools/test_robustness.py`` (docs/robustness.md).

Each model is tested by its config's ``test_dataloader`` and ``test_evaluator``
(mmseg's ``IoUMetric``) on clean images, under the white-box FGSM / PGD, and
with each universal perturbation added: crafted on a surrogate that is not
among the evaluated models (or, on request, on the evaluated models), or read
from a file (:mod:`wsss_mm.apis.universal_perturbations`).
"""

import json
import os.path as osp
import time
from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from mmengine.config import Config
from mmengine.device import get_device
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from torch import Tensor

from wsss_mm.attacks import ImageSpace, apply_perturbation, fgsm, pgd
from wsss_mm.utils.io import atomic_path

from .inference import load_network
from .universal_perturbations import (
    UNIVERSAL,
    AttackSettings,
    NetworkSpec,
    Perturbation,
    check_sources,
    run_config,
    universal_perturbations,
)

#: attack names, in Table 5's order after the white-box ones
ATTACKS = ('clean', 'fgsm', 'pgd', *UNIVERSAL)
#: the attacks made per image on each evaluated model
PER_IMAGE = ('clean', 'fgsm', 'pgd')


@dataclass
class RobustnessReport:
    """What :func:`evaluate_robustness` measured.

    Attributes:
        miou (dict): ``{model name: {column: mIoU (percent)}}``, in the order
            given (``robustness.json``); columns: the per-image attacks, then
            one per universal perturbation (:attr:`perturbations`).
        images_per_s (dict): ``{model name: {column: test images per second}}``,
            each attack's crafting plus the model's prediction, timed side by
            side in one pass over the test set after an untimed warm-up
            prediction (universal perturbations: adding the perturbation).
        perturbations (list[Perturbation]): the universal-perturbation
            columns: which network made each, the crafting time, the
            fooling rate on held-out images and the step kept.
        device (str): where it ran.
    """

    miou: Dict[str, Dict[str, float]]
    images_per_s: Dict[str, Dict[str, float]]
    perturbations: List[Perturbation]
    device: str


def check_attacks(attacks: Sequence[str]) -> List[str]:
    """The attack names, checked and without repeats.

    Raises:
        ValueError: an unknown name (the known ones listed).
    """
    unknown = [a for a in attacks if a not in ATTACKS]
    if unknown:
        raise ValueError(f'unknown attack(s) {unknown}; known: {list(ATTACKS)}')
    return list(dict.fromkeys(attacks))


def evaluate_model(
    cfg: Config,
    model_spec: NetworkSpec,
    attacks: Sequence[str],
    perturbations: Sequence[Perturbation],
    settings: AttackSettings,
    device: str,
) -> Tuple[Dict[str, float], Dict[str, float]]:
    """mIoU of one segmentor on its test set, clean, under the per-image attacks
    of ``attacks`` and with each universal perturbation added.

    Returns:
        tuple[dict, dict]: column -> the test evaluator's ``mIoU`` (percent),
        and column -> images per second (attack and prediction).
    """
    model = load_network(cfg, model_spec.checkpoint, device)
    space = ImageSpace(model)
    loader = Runner.build_dataloader(cfg.test_dataloader, seed=settings.seed)
    universal: Dict[str, Tensor] = {p.name: p.for_model(model_spec.name) for p in perturbations}
    columns = [a for a in attacks if a in PER_IMAGE] + list(universal)
    evaluators = {}
    for column in columns:
        evaluators[column] = Evaluator(cfg.test_evaluator)
        evaluators[column].dataset_meta = loader.dataset.metainfo
    generator = torch.Generator().manual_seed(settings.seed)
    step = settings.pgd_step_size or settings.eps / 4
    seconds = dict.fromkeys(columns, 0.0)
    with torch.no_grad():  # untimed warm-up: the first call's one-off costs count for no attack
        pixels, samples = space.to_pixels(next(iter(loader)))
        model.predict(space.normalize(pixels), samples)
    for data in loader:
        pixels, samples = space.to_pixels(data)
        for column in columns:
            start = time.perf_counter()
            if column == 'clean':
                adv = pixels
            elif column == 'fgsm':
                adv = fgsm(model, space, pixels, samples, settings.eps)
            elif column == 'pgd':
                adv = pgd(
                    model,
                    space,
                    pixels,
                    samples,
                    settings.eps,
                    step,
                    settings.pgd_steps,
                    random_start=settings.random_start,
                    generator=generator,
                )
            else:
                adv = apply_perturbation(pixels, universal[column], settings.fit)
            with torch.no_grad():
                outputs = model.predict(space.normalize(adv), samples)
            if adv.is_cuda:
                torch.cuda.synchronize()  # CUDA runs asynchronously: time the finished work
            seconds[column] += time.perf_counter() - start
            evaluators[column].process(outputs, data)
    num_images = len(loader.dataset)
    images_per_s = {column: round(num_images / max(t, 1e-9), 3) for column, t in seconds.items()}
    results = {}
    for column, evaluator in evaluators.items():
        metrics = evaluator.evaluate(len(loader.dataset))
        if 'mIoU' not in metrics:
            raise KeyError(f'the test_evaluator gave no mIoU (got {sorted(metrics)})')
        results[column] = round(float(metrics['mIoU']), 2)
    return results, images_per_s


def evaluate_robustness(
    models: Sequence[NetworkSpec],
    attacks: Sequence[str],
    work_dir: str,
    settings: Optional[AttackSettings] = None,
    surrogates: Sequence[NetworkSpec] = (),
    white_box: Optional[str] = None,
    perturbation_files: Sequence[Tuple[str, str]] = (),
    cfg_options: Optional[dict] = None,
    data_root: Optional[str] = None,
    device: Optional[str] = None,
) -> RobustnessReport:
    """Tests each segmentor clean and under each attack (Table 5 of SegMix).

    Args:
        models (list[NetworkSpec]): the evaluated segmentors (their names are
            the JSON keys).
        attacks (list[str]): names from :data:`ATTACKS`; each universal one is
            crafted on every surrogate (and on the evaluated models with
            ``white_box``), one column ``<attack>@<network>`` each.
        work_dir (str): the perturbation cache (``perturbations/``) and
            ``robustness.json`` (written atomically).
        settings (AttackSettings, optional): ε, steps, data, sizes.
        surrogates (list[NetworkSpec]): the networks universal perturbations
            are crafted on; none may have an evaluated model's weights unless
            ``white_box`` is set.
        white_box (str, optional): also craft on the evaluated models:
            ``'first'`` (on the first, applied to all) or ``'each'`` (each
            model its own; columns ``<attack>@self``).
        perturbation_files (list[tuple[str, str]]): (column name, ``.npy``
            file) of perturbations made elsewhere, applied to every model.
        cfg_options (dict, optional): overrides applied to every config.
        data_root (str, optional): overrides every dataloader's data root.
        device (str, optional): default :func:`mmengine.device.get_device`.

    Returns:
        RobustnessReport: mIoU (also written to ``robustness.json``), images
        per second under each attack and the universal perturbations' records.

    Raises:
        ValueError: unknown attacks, no models, two models of one name, a
            surrogate that is an evaluated model without ``white_box``, or
            universal attacks without a network to craft them on.
    """
    settings = settings or AttackSettings()
    attacks = check_attacks(attacks)
    if not models:
        raise ValueError('no model to test: give --models CONFIG:CHECKPOINT ...')
    names = [m.name for m in models]
    if len(set(names)) != len(names):
        raise ValueError(
            f'two models share a name (the JSON keys): {names}; name them with NAME=CONFIG:CKPT'
        )
    check_sources(models, surrogates, white_box, perturbation_files)
    taken = [name for name, _ in perturbation_files if name in ATTACKS]
    if taken:
        raise ValueError(f'--perturbations names {taken} are attack names: choose others')
    device = device or get_device()
    perturbations = universal_perturbations(
        attacks,
        models,
        surrogates,
        white_box,
        perturbation_files,
        settings,
        osp.join(work_dir, 'perturbations'),
        cfg_options,
        data_root,
        device,
    )
    results, images_per_s = {}, {}
    for model in models:
        cfg = run_config(model.config, cfg_options, data_root)
        results[model.name], images_per_s[model.name] = evaluate_model(
            cfg, model, attacks, perturbations, settings, device
        )
    with atomic_path(osp.join(work_dir, 'robustness.json')) as tmp:
        with open(tmp, 'w') as f:
            json.dump(results, f, indent=2)
    return RobustnessReport(results, images_per_s, perturbations, device)
