"""Robustness of segmentors under adversarial attacks (SegMix, seed 000, Table 5):
the library function behind ``tools/test_robustness.py`` (docs/robustness.md).

Each model is tested by its config's ``test_dataloader`` and ``test_evaluator``
(mmseg's ``IoUMetric``) on clean images and under each attack. Universal
perturbations are crafted once, cached as ``WORK_DIR/perturbations/<attack>_eps<E>.npy``
and added to every model's images: ``uap`` is crafted on a surrogate classifier,
``gd-uap-*`` on the encoder (``backbone``) of the first model, or of the model
given as ``gd_uap_model``, as the paper's GD-UAP perturbations come from the
ResNet-101 backbone of its segmentors.
"""

import json
import math
import os.path as osp
import time
from dataclasses import dataclass
from typing import Dict, Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.device import get_device
from mmengine.evaluator import Evaluator
from mmengine.runner import Runner
from torch import Tensor

from wsss_mm.attacks import (
    ImageSpace,
    apply_perturbation,
    craft_gd_uap,
    craft_uap,
    fgsm,
    load_perturbation,
    pgd,
    save_perturbation,
)
from wsss_mm.registry import DATASETS
from wsss_mm.utils.io import atomic_path

from .config_utils import dataset_cfg, override_data_root
from .inference import load_network
from .train import load_config

#: attack names, in Table 5's order after the white-box ones
ATTACKS = ('clean', 'fgsm', 'pgd', 'uap', 'gd-uap-no', 'gd-uap-part', 'gd-uap-all')
UNIVERSAL = ('uap', 'gd-uap-no', 'gd-uap-part', 'gd-uap-all')

ModelSpec = Tuple[str, str]


@dataclass
class RobustnessReport:
    """What :func:`evaluate_robustness` measured.

    Attributes:
        miou (dict): ``{config stem: {attack: mIoU (percent)}}``, in the order
            given (``robustness.json``).
        images_per_s (dict): ``{config stem: {attack: test images per second}}``,
            each attack's crafting plus the model's prediction, timed side by
            side in one pass over the test set after an untimed warm-up
            prediction (universal perturbations: adding the cached
            perturbation).
        craft_seconds (dict): ``{attack: seconds}`` spent crafting each universal
            perturbation in this run; ``None`` where it was read from the cache.
        device (str): where it ran.
    """

    miou: Dict[str, Dict[str, float]]
    images_per_s: Dict[str, Dict[str, float]]
    craft_seconds: Dict[str, Optional[float]]
    device: str


@dataclass
class AttackSettings:
    """The attacks' settings; pixel units (0-255) throughout.

    Attributes:
        eps (float): L∞ radius of every attack (UAP / GD-UAP papers: 10).
        pgd_steps (int): PGD iterations.
        pgd_step_size (float, optional): PGD step; default ``eps / 4``.
        random_start (bool): PGD starts from a uniform point of the ball.
        uap_steps (int): UAP minibatch updates on the surrogate.
        uap_step_size (float, optional): UAP step; default ``eps / 10``.
        gd_uap_steps (int): GD-UAP Adam steps.
        gd_uap_lr (float): GD-UAP's Adam learning rate (theirs: 0.1).
        gd_uap_part (float): the fraction of the training split GD-UAP's
            ``part`` setting sees (its first images).
        gd_uap_split (str): the training split of the GD-UAP data, relative to the
            data root (mmseg's ``ann_file``).
        size (tuple, optional): (h, w) of the GD-UAP perturbation; default the
            encoder model's ``data_preprocessor.size`` (its crop size).
        fit (str): ``'resize'`` or ``'tile'``: a universal perturbation meets an
            image of another size (:func:`wsss_mm.attacks.fit_perturbation`).
        seed (int): PGD's random starts and GD-UAP's initialisations.
    """

    eps: float = 10.0
    pgd_steps: int = 10
    pgd_step_size: Optional[float] = None
    random_start: bool = True
    uap_steps: int = 200
    uap_step_size: Optional[float] = None
    gd_uap_steps: int = 200
    gd_uap_lr: float = 0.1
    gd_uap_part: float = 0.1
    gd_uap_split: str = 'ImageSets/Segmentation/train.txt'
    size: Optional[Tuple[int, int]] = None
    fit: str = 'resize'
    seed: int = 0


def parse_model_spec(spec: str) -> ModelSpec:
    """``'CONFIG:CHECKPOINT'`` -> (config, checkpoint), split at the last colon.

    Raises:
        ValueError: no colon or an empty part.
        FileNotFoundError: the config or the checkpoint is missing (named).
    """
    config, sep, checkpoint = spec.rpartition(':')
    if not sep or not config or not checkpoint:
        raise ValueError(f'expected CONFIG:CHECKPOINT, got "{spec}"')
    for kind, path in (('config', config), ('checkpoint', checkpoint)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{kind} file not found: {path} (in "{spec}")')
    return config, checkpoint


def check_attacks(attacks: Sequence[str]) -> List[str]:
    """The attack names, checked and without repeats.

    Raises:
        ValueError: an unknown name (the known ones listed).
    """
    unknown = [a for a in attacks if a not in ATTACKS]
    if unknown:
        raise ValueError(f'unknown attack(s) {unknown}; known: {list(ATTACKS)}')
    return list(dict.fromkeys(attacks))


def _config(path: str, cfg_options: Optional[dict], data_root: Optional[str]) -> Config:
    cfg = load_config(path, cfg_options)
    if data_root:
        override_data_root(cfg, data_root)
    return cfg


def _perturbation_size(cfg: Config, settings: AttackSettings, config_path: str) -> tuple:
    size = settings.size or cfg.model.get('data_preprocessor', {}).get('size')
    if not size:
        raise KeyError(
            f'{config_path}: model.data_preprocessor.size is not set; give the GD-UAP '
            'perturbation size (--uap-size H W)'
        )
    return tuple(int(s) for s in size)


def _gd_uap_images(
    cfg: Config, model: nn.Module, mode: str, settings: AttackSettings
) -> Iterator[Tensor]:
    """Batches of one training image (1, 3, H, W) in pixels, shuffled and cycled:
    the test pipeline of ``cfg`` on ``settings.gd_uap_split`` (all of it, or its
    first ``gd_uap_part`` fraction for ``mode='part'``)."""
    dataset = DATASETS.build(
        dict(dataset_cfg(cfg, 'test_dataloader'), ann_file=settings.gd_uap_split)
    )
    if mode == 'part':
        dataset = dataset.get_subset(max(1, math.ceil(settings.gd_uap_part * len(dataset))))
    if len(dataset) == 0:
        raise ValueError(f'GD-UAP: the split {settings.gd_uap_split} has no image')
    space = ImageSpace(model)
    generator = torch.Generator().manual_seed(settings.seed)
    while True:
        for index in torch.randperm(len(dataset), generator=generator).tolist():
            pixels, _ = space.to_pixels(pseudo_collate([dataset[index]]))
            yield pixels


def _craft_universal(
    attack: str,
    path: str,
    models: Sequence[ModelSpec],
    settings: AttackSettings,
    surrogate: Optional[ModelSpec],
    gd_uap_model: Optional[ModelSpec],
    cfg_options: Optional[dict],
    data_root: Optional[str],
    device: str,
) -> Tensor:
    """Loads the cached perturbation of ``attack`` from ``path`` or crafts and saves
    it (``uap``: on ``surrogate``, given).

    Returns:
        Tensor: (3, h, w) RGB perturbation in pixel units.
    """
    if osp.isfile(path):
        return load_perturbation(path, settings.eps)
    if attack == 'uap':
        cfg = _config(surrogate[0], cfg_options, data_root)
        model = load_network(cfg, surrogate[1], device)
        loader = Runner.build_dataloader(cfg.train_dataloader, seed=settings.seed)
        step = settings.uap_step_size or settings.eps / 10
        v = craft_uap(model, loader, settings.eps, step, settings.uap_steps)
    else:
        config, checkpoint = gd_uap_model or models[0]
        cfg = _config(config, cfg_options, data_root)
        model = load_network(cfg, checkpoint, device)
        mode = attack[len('gd-uap-') :]
        images = None if mode == 'no' else _gd_uap_images(cfg, model, mode, settings)
        v = craft_gd_uap(
            model,
            _perturbation_size(cfg, settings, config),
            settings.eps,
            settings.gd_uap_steps,
            images=images,
            lr=settings.gd_uap_lr,
            generator=torch.Generator().manual_seed(settings.seed),
        )
    save_perturbation(path, v)
    return v.cpu()


def evaluate_model(
    cfg: Config,
    checkpoint: str,
    attacks: Sequence[str],
    perturbations: Dict[str, Tensor],
    settings: AttackSettings,
    device: str,
) -> Tuple[Dict[str, float], Dict[str, float]]:
    """mIoU of one segmentor on its test set, clean and under each attack.

    Returns:
        tuple[dict, dict]: attack name -> the test evaluator's ``mIoU``
        (percent), and attack name -> images per second (attack and prediction).
    """
    model = load_network(cfg, checkpoint, device)
    space = ImageSpace(model)
    loader = Runner.build_dataloader(cfg.test_dataloader, seed=settings.seed)
    evaluators = {}
    for attack in attacks:
        evaluators[attack] = Evaluator(cfg.test_evaluator)
        evaluators[attack].dataset_meta = loader.dataset.metainfo
    generator = torch.Generator().manual_seed(settings.seed)
    step = settings.pgd_step_size or settings.eps / 4
    seconds = dict.fromkeys(attacks, 0.0)
    with torch.no_grad():  # untimed warm-up: the first call's one-off costs count for no attack
        pixels, samples = space.to_pixels(next(iter(loader)))
        model.predict(space.normalize(pixels), samples)
    for data in loader:
        pixels, samples = space.to_pixels(data)
        for attack in attacks:
            start = time.perf_counter()
            if attack == 'clean':
                adv = pixels
            elif attack == 'fgsm':
                adv = fgsm(model, space, pixels, samples, settings.eps)
            elif attack == 'pgd':
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
                adv = apply_perturbation(pixels, perturbations[attack], settings.fit)
            with torch.no_grad():
                outputs = model.predict(space.normalize(adv), samples)
            if adv.is_cuda:
                torch.cuda.synchronize()  # CUDA runs asynchronously: time the finished work
            seconds[attack] += time.perf_counter() - start
            evaluators[attack].process(outputs, data)
    num_images = len(loader.dataset)
    images_per_s = {attack: round(num_images / max(t, 1e-9), 3) for attack, t in seconds.items()}
    results = {}
    for attack, evaluator in evaluators.items():
        metrics = evaluator.evaluate(len(loader.dataset))
        if 'mIoU' not in metrics:
            raise KeyError(f'the test_evaluator gave no mIoU (got {sorted(metrics)})')
        results[attack] = round(float(metrics['mIoU']), 2)
    return results, images_per_s


def evaluate_robustness(
    models: Sequence[ModelSpec],
    attacks: Sequence[str],
    work_dir: str,
    settings: Optional[AttackSettings] = None,
    surrogate: Optional[ModelSpec] = None,
    gd_uap_model: Optional[ModelSpec] = None,
    cfg_options: Optional[dict] = None,
    data_root: Optional[str] = None,
    device: Optional[str] = None,
) -> RobustnessReport:
    """Tests each segmentor clean and under each attack (Table 5 of SegMix).

    Args:
        models (list[tuple[str, str]]): (config, checkpoint) of each segmentor.
        attacks (list[str]): names from :data:`ATTACKS`.
        work_dir (str): the perturbation cache (``perturbations/``) and
            ``robustness.json`` (written atomically).
        settings (AttackSettings, optional): ε, steps, sizes.
        surrogate (tuple, optional): (config, checkpoint) of the classifier the
            ``uap`` perturbation is crafted on; needed for ``uap``.
        gd_uap_model (tuple, optional): (config, checkpoint) of the model whose
            backbone GD-UAP attacks; default the first of ``models``.
        cfg_options (dict, optional): overrides applied to every config.
        data_root (str, optional): overrides every dataloader's data root.
        device (str, optional): default :func:`mmengine.device.get_device`.

    Returns:
        RobustnessReport: mIoU (also written to ``robustness.json``), images
        per second under each attack and the time spent crafting.

    Raises:
        ValueError: unknown attacks, no models, two models of one config name,
            or ``uap`` without a surrogate.
    """
    settings = settings or AttackSettings()
    attacks = check_attacks(attacks)
    if not models:
        raise ValueError('no model to test: give --models CONFIG:CHECKPOINT ...')
    stems = [osp.splitext(osp.basename(config))[0] for config, _ in models]
    if len(set(stems)) != len(stems):
        raise ValueError(f'two models share a config name (the JSON keys): {stems}')
    if 'uap' in attacks and surrogate is None:
        raise ValueError('the uap attack needs a surrogate classifier: --surrogate CONFIG:CKPT')
    device = device or get_device()
    perturbations, craft_seconds = {}, {}
    for attack in attacks:
        if attack in UNIVERSAL:
            path = osp.join(work_dir, 'perturbations', f'{attack}_eps{settings.eps:g}.npy')
            cached = osp.isfile(path)
            start = time.perf_counter()
            perturbations[attack] = _craft_universal(
                attack,
                path,
                models,
                settings,
                surrogate,
                gd_uap_model,
                cfg_options,
                data_root,
                device,
            )
            craft_seconds[attack] = None if cached else round(time.perf_counter() - start, 2)
    results, images_per_s = {}, {}
    for stem, (config, checkpoint) in zip(stems, models):
        cfg = _config(config, cfg_options, data_root)
        results[stem], images_per_s[stem] = evaluate_model(
            cfg, checkpoint, attacks, perturbations, settings, device
        )
    with atomic_path(osp.join(work_dir, 'robustness.json')) as tmp:
        with open(tmp, 'w') as f:
            json.dump(results, f, indent=2)
    return RobustnessReport(results, images_per_s, craft_seconds, device)
