"""Universal perturbations for ``tools/test_robustness.py`` (docs/robustness.md):
the network each one is crafted on, the images it sees, the held-out images
that pick it, and its cache.

By default a universal perturbation is crafted on a *surrogate*, a network that
is not among the evaluated models (``--surrogate [NAME=]CONFIG:CKPT``; e.g. a
DeepLab of another training seed, or a classifier trained on other data), and
the same perturbation is added to every evaluated model's images: the setting of
the SegMix paper's Table 5, whose perturbations come from separate networks. A
surrogate whose checkpoint is an evaluated model's is refused unless white box
is asked for (``white_box='first'``: crafted on the first evaluated model and
applied to all; ``'each'``: crafted on each evaluated model for itself). Each
crafted perturbation is a column named ``<attack>@<network>`` (``@self`` for
``'each'``); files given as ``NAME=FILE`` are columns named NAME.

Crafting images come from the crafting network's ``test_dataloader`` dataset on
``AttackSettings.craft_split``: its last ``holdout`` fraction is held out and
picks the perturbation by fooling rate over the crafting steps
(:class:`~wsss_mm.attacks.FoolingRateSelector`, as GD-UAP's code); GD-UAP
``all`` sees the rest, ``part`` the ``gd_uap_part`` fraction of the rest with
the least background, as GD-UAP's "data with less BG" list (their
``pascal_train_partial.txt``: 2840 of the 10000 images of ``pascal_train.txt``).

A crafted perturbation is cached as ``<cache>/<column>_eps<E>.npy`` with its
recipe in ``.json`` beside it (the network's config, the checkpoint's SHA-256,
the settings that shape it, the fooling rate and the step kept); a later run
reuses it only for the same recipe and names what differs otherwise.
"""

import filecmp
import hashlib
import json
import math
import os.path as osp
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.runner import Runner
from torch import Tensor

from wsss_mm.attacks import (
    FoolingRateSelector,
    ImageSpace,
    craft_gd_uap,
    craft_uap,
    load_perturbation,
    save_perturbation,
)
from wsss_mm.registry import DATASETS
from wsss_mm.utils.io import atomic_path, read_mask

from .config_utils import dataset_cfg, override_data_root
from .inference import load_network
from .train import load_config

#: the universal attacks, in Table 5's order
UNIVERSAL = ('uap', 'gd-uap-no', 'gd-uap-part', 'gd-uap-all')
#: ways to craft on the evaluated models themselves
WHITE_BOX = ('first', 'each')
#: the network name of white-box ``'each'`` columns
SELF = 'self'
#: GD-UAP's "less background" share of the training list (2840 / 10000)
GD_UAP_PART = 0.284


@dataclass(frozen=True)
class NetworkSpec:
    """A network given on the command line as ``[NAME=]CONFIG:CHECKPOINT``.

    Attributes:
        name (str): NAME, else the config file's stem (a JSON key or a column suffix).
        config (str): the config file.
        checkpoint (str): the checkpoint file.
    """

    name: str
    config: str
    checkpoint: str


@dataclass
class AttackSettings:
    """The attacks' settings; pixel units (0-255) throughout.

    Attributes:
        eps (float): L∞ radius of every attack (UAP / GD-UAP papers: 10).
        pgd_steps (int): PGD iterations.
        pgd_step_size (float, optional): PGD step; default ``eps / 4``.
        random_start (bool): PGD starts from a uniform point of the ball.
        uap_steps (int): UAP minibatch updates on the crafting network.
        uap_step_size (float, optional): UAP step; default ``eps / 10``.
        gd_uap_steps (int): GD-UAP Adam steps.
        gd_uap_lr (float): GD-UAP's Adam learning rate (theirs: 0.1).
        gd_uap_part (float): the share of the crafting images, those with the
            least background, that GD-UAP's ``part`` setting sees.
        craft_split (str): the split the crafting images and the held-out
            images come from, relative to the data root (mmseg's ``ann_file``).
        holdout (float): the split's last fraction held out to pick each
            perturbation by fooling rate; 0: no pick, the last iterate.
        check_every (int, optional): crafting steps between fooling-rate
            checks; default a tenth of the steps.
        patience (int): checks without improvement before crafting stops (GD-UAP's 10).
        size (tuple, optional): (h, w) of the GD-UAP perturbation; default the
            crafting network's ``data_preprocessor.size`` (its crop size).
        fit (str): ``'resize'`` or ``'tile'``: a universal perturbation meets an
            image of another size (:func:`wsss_mm.attacks.fit_perturbation`).
        seed (int): PGD's random starts, GD-UAP's initialisations and image order.
    """

    eps: float = 10.0
    pgd_steps: int = 10
    pgd_step_size: Optional[float] = None
    random_start: bool = True
    uap_steps: int = 200
    uap_step_size: Optional[float] = None
    gd_uap_steps: int = 200
    gd_uap_lr: float = 0.1
    gd_uap_part: float = GD_UAP_PART
    craft_split: str = 'ImageSets/Segmentation/train.txt'
    holdout: float = 0.1
    check_every: Optional[int] = None
    patience: int = 10
    size: Optional[Tuple[int, int]] = None
    fit: str = 'resize'
    seed: int = 0


@dataclass
class Perturbation:
    """One universal-perturbation column of the robustness table.

    Attributes:
        name (str): the column, and the key in the JSON.
        attack (str): one of :data:`UNIVERSAL`, or ``'file'``.
        made_on (str): the network that crafted it (``NAME (CONFIG:CKPT)``),
            ``each evaluated model (white box)``, or the file it was read from.
        vectors (dict): (3, h, w) RGB pixel-unit tensor for each evaluated
            model's name, or for ``'*'`` when every model gets the same one.
        crafted_s (float, optional): seconds spent crafting in this run
            (summed over the models for ``'each'``); None: read from a file.
        fooling_rate (float, optional): on the held-out images of the
            crafting network (the mean over models for ``'each'``).
        kept_step (int, optional): the crafting step kept (one network only).
    """

    name: str
    attack: str
    made_on: str
    vectors: Dict[str, Tensor]
    crafted_s: Optional[float] = None
    fooling_rate: Optional[float] = None
    kept_step: Optional[int] = None

    def for_model(self, name: str) -> Tensor:
        """The perturbation added to the images of evaluated model ``name``."""
        return self.vectors.get('*', self.vectors.get(name))


def config_stem(path: str) -> str:
    """``configs/x/name.py`` -> ``name``."""
    return osp.splitext(osp.basename(path))[0]


def parse_network_spec(spec: str) -> NetworkSpec:
    """``'[NAME=]CONFIG:CHECKPOINT'`` -> :class:`NetworkSpec`; the checkpoint is
    after the last colon, NAME before the first ``=`` when it holds no ``/`` or ``:``.

    Raises:
        ValueError: no colon or an empty part.
        FileNotFoundError: the config or the checkpoint is missing (named).
    """
    name, sep, rest = spec.partition('=')
    if not sep or not name or '/' in name or ':' in name:
        name, rest = '', spec
    config, sep, checkpoint = rest.rpartition(':')
    if not sep or not config or not checkpoint:
        raise ValueError(f'expected [NAME=]CONFIG:CHECKPOINT, got "{spec}"')
    for kind, path in (('config', config), ('checkpoint', checkpoint)):
        if not osp.isfile(path):
            raise FileNotFoundError(f'{kind} file not found: {path} (in "{spec}")')
    return NetworkSpec(name or config_stem(config), config, checkpoint)


def parse_perturbation_spec(spec: str) -> Tuple[str, str]:
    """``'NAME=FILE'`` -> (NAME, FILE).

    Raises:
        ValueError: no ``=`` or an empty part.
        FileNotFoundError: FILE is missing.
    """
    name, sep, path = spec.partition('=')
    if not sep or not name or not path:
        raise ValueError(f'expected NAME=FILE (a .npy perturbation), got "{spec}"')
    if not osp.isfile(path):
        raise FileNotFoundError(f'perturbation file not found: {path} (in "{spec}")')
    return name, path


def same_weights(a: str, b: str) -> bool:
    """Whether checkpoint files ``a`` and ``b`` are one file or hold the same bytes."""
    return osp.samefile(a, b) or filecmp.cmp(a, b, shallow=False)


def check_sources(
    models: Sequence[NetworkSpec],
    surrogates: Sequence[NetworkSpec],
    white_box: Optional[str],
    files: Sequence[Tuple[str, str]],
) -> None:
    """Refuses a surrogate that is an evaluated model (unless ``white_box``),
    unknown white-box modes and clashing names.

    Raises:
        ValueError: the offending name, with what to give instead.
    """
    if white_box is not None and white_box not in WHITE_BOX:
        raise ValueError(f'white box must be one of {WHITE_BOX}, got "{white_box}"')
    names = [s.name for s in surrogates]
    if len(set(names)) != len(names) or SELF in names:
        raise ValueError(
            f'surrogate names must differ and not be "{SELF}", got {names}: '
            'name them with NAME=CONFIG:CKPT'
        )
    if white_box is None:
        for surrogate in surrogates:
            for model in models:
                if same_weights(surrogate.checkpoint, model.checkpoint):
                    raise ValueError(
                        f'surrogate "{surrogate.name}" ({surrogate.checkpoint}) has the '
                        f'weights of the evaluated model "{model.name}": a perturbation '
                        'crafted on it is white box for that model. Give a network that '
                        'is not evaluated (e.g. another training seed), or ask for white '
                        'box (--white-box first|each)'
                    )
    file_names = [name for name, _ in files]
    if len(set(file_names)) != len(file_names) or any('@' in n for n in file_names):
        raise ValueError(
            f'--perturbations names must differ and hold no "@" (kept for crafted '
            f'ones), got {file_names}'
        )


def crafting_networks(
    models: Sequence[NetworkSpec], surrogates: Sequence[NetworkSpec], white_box: Optional[str]
) -> List[NetworkSpec]:
    """The networks universal perturbations are crafted on, in column order:
    the surrogates, then the first model (``'first'``) or ``self`` (``'each'``)."""
    networks = list(surrogates)
    if white_box == 'first' and not any(
        same_weights(s.checkpoint, models[0].checkpoint) for s in surrogates
    ):
        networks.append(models[0])
    elif white_box == 'each':
        networks.append(NetworkSpec(SELF, '', ''))
    return networks


def least_background(paths: Sequence[Optional[str]], fraction: float) -> List[int]:
    """The indices of the ``fraction`` of masks with the least background.

    The background share of a mask is its pixels of class 0 over its labelled
    pixels (not 255); ties keep the split's order.

    Args:
        paths (list[str]): the mask of each image.
        fraction (float): in (0, 1]; at least one image is kept.

    Returns:
        list[int]: indices into ``paths``, in the split's order.

    Raises:
        ValueError: an image has no mask.
    """
    shares = []
    for index, path in enumerate(paths):
        if not path:
            raise ValueError(
                f'GD-UAP part ranks the crafting images by background: image {index} '
                'of the crafting split has no mask (seg_map_path)'
            )
        mask = read_mask(path)
        labelled = int((mask != 255).sum())
        shares.append(float((mask == 0).sum()) / labelled if labelled else 1.0)
    keep = max(1, math.ceil(fraction * len(paths)))
    return sorted(np.argsort(np.asarray(shares), kind='stable')[:keep].tolist())


def run_config(path: str, cfg_options: Optional[dict], data_root: Optional[str]) -> Config:
    """The config at ``path`` with ``cfg_options`` and ``data_root`` applied."""
    cfg = load_config(path, cfg_options)
    if data_root:
        override_data_root(cfg, data_root)
    return cfg


class _CraftingData:
    """The crafting split of a network's config: held-out pixels and the
    crafting images of each GD-UAP data mode, loaded on demand."""

    def __init__(self, cfg: Config, model: nn.Module, settings: AttackSettings):
        self.dataset = DATASETS.build(
            dict(dataset_cfg(cfg, 'test_dataloader'), ann_file=settings.craft_split)
        )
        num = len(self.dataset)
        num_holdout = math.ceil(settings.holdout * num) if settings.holdout > 0 else 0
        if num - num_holdout < 1:
            raise ValueError(
                f'the crafting split {settings.craft_split} has {num} image(s): too few '
                f'to hold out {settings.holdout:g} of them and craft on the rest'
            )
        self.crafting = list(range(num - num_holdout))
        self.holdout = list(range(num - num_holdout, num))
        self.space = ImageSpace(model)
        self.settings = settings
        self._holdout_pixels: Optional[List[Tensor]] = None

    def pixels(self, index: int) -> Tensor:
        """Image ``index`` as (1, 3, H, W) RGB pixels, uint8 on the CPU."""
        pixels, _ = self.space.to_pixels(pseudo_collate([self.dataset[index]]))
        return pixels.round().to(torch.uint8).cpu()

    def selector(self, model: nn.Module, steps: int) -> Optional[FoolingRateSelector]:
        """The fooling-rate pick over ``steps`` crafting steps; None without held-out images."""
        if not self.holdout:
            return None
        if self._holdout_pixels is None:  # read once for every attack
            self._holdout_pixels = [self.pixels(i) for i in self.holdout]
        return FoolingRateSelector(
            model,
            self._holdout_pixels,
            check_every=self.settings.check_every or max(1, steps // 10),
            patience=self.settings.patience,
            fit=self.settings.fit,
        )

    def images(self, mode: str):
        """Cycled, shuffled (1, 3, H, W) float pixel batches of the crafting
        images of GD-UAP mode ``'part'`` or ``'all'``."""
        indices = self.crafting
        if mode == 'part':
            paths = [self.dataset.get_data_info(i).get('seg_map_path') for i in indices]
            indices = [indices[i] for i in least_background(paths, self.settings.gd_uap_part)]
        generator = torch.Generator().manual_seed(self.settings.seed)
        device = self.space.preprocessor.mean.device
        while True:
            for i in torch.randperm(len(indices), generator=generator).tolist():
                yield self.pixels(indices[i]).to(device, torch.float32)


def load_cached(path: str, wanted: dict, eps: float) -> Optional[Tuple[Tensor, dict]]:
    """The cached perturbation at ``path`` and its record, if both exist.

    Raises:
        ValueError: the record is missing or its recipe differs (the keys named).
    """
    if not osp.isfile(path):
        return None
    record_path = osp.splitext(path)[0] + '.json'
    if not osp.isfile(record_path):
        raise ValueError(
            f'{path} has no recipe ({record_path}): delete it to craft it again, or '
            'give it with --perturbations NAME=FILE'
        )
    with open(record_path) as f:
        record = json.load(f)
    cached = record.get('recipe', {})
    differ = sorted(k for k in set(cached) | set(wanted) if cached.get(k) != wanted.get(k))
    if differ:
        changes = ', '.join(f'{k}: {cached.get(k)!r} -> {wanted.get(k)!r}' for k in differ)
        raise ValueError(
            f'{path} was crafted with another recipe ({changes}): delete it or use '
            'another --work-dir'
        )
    return load_perturbation(path, eps), record


class CraftingNetwork:
    """A network universal perturbations are crafted on; its model, crafting
    data and checkpoint digest are made on first use, once for all attacks.

    Args:
        spec (NetworkSpec): the network.
        settings (AttackSettings): the attacks' settings.
        cfg_options (dict, optional): overrides of its config.
        data_root (str, optional): overrides its dataloaders' data root.
        device (str): where it runs.
    """

    def __init__(
        self,
        spec: NetworkSpec,
        settings: AttackSettings,
        cfg_options: Optional[dict],
        data_root: Optional[str],
        device: str,
    ):
        self.spec = spec
        self.settings = settings
        self.cfg_options = cfg_options
        self.data_root = data_root
        self.device = device

    @cached_property
    def cfg(self) -> Config:
        return run_config(self.spec.config, self.cfg_options, self.data_root)

    @cached_property
    def model(self) -> nn.Module:
        return load_network(self.cfg, self.spec.checkpoint, self.device)

    @cached_property
    def data(self) -> '_CraftingData':
        return _CraftingData(self.cfg, self.model, self.settings)

    @cached_property
    def digest(self) -> str:
        """The SHA-256 of the checkpoint file."""
        digest = hashlib.sha256()
        with open(self.spec.checkpoint, 'rb') as f:
            for chunk in iter(lambda: f.read(1 << 20), b''):
                digest.update(chunk)
        return digest.hexdigest()

    def recipe(self, attack: str) -> dict:
        """What shapes the perturbation of ``attack`` (compared before a cached
        one is reused)."""
        settings = self.settings
        out = dict(
            attack=attack,
            config=osp.abspath(self.spec.config),
            checkpoint_sha256=self.digest,
            eps=settings.eps,
            craft_split=settings.craft_split,
            holdout=settings.holdout,
            check_every=settings.check_every,
            patience=settings.patience,
            fit=settings.fit,
            seed=settings.seed,
            data_root=osp.abspath(self.data_root) if self.data_root else None,
        )
        if attack == 'uap':
            out.update(steps=settings.uap_steps, step_size=settings.uap_step_size)
        else:
            out.update(steps=settings.gd_uap_steps, lr=settings.gd_uap_lr, size=settings.size)
            if attack == 'gd-uap-part':
                out.update(part=settings.gd_uap_part)
        return out

    def craft(self, attack: str, path: str) -> Tuple[Tensor, dict, Optional[float]]:
        """Reads the cached perturbation of ``attack`` at ``path`` or crafts and
        saves it.

        Returns:
            tuple: the (3, h, w) perturbation (CPU), its record (``recipe``,
            ``fooling_rate``, ``kept_step``, ``checks``) and the seconds spent
            crafting (None: read from the cache).
        """
        settings = self.settings
        wanted = self.recipe(attack)
        cached = load_cached(path, wanted, settings.eps)
        if cached is not None:
            return cached[0], cached[1], None
        start = time.perf_counter()
        model, data = self.model, self.data
        if attack == 'uap':
            selector = data.selector(model, settings.uap_steps)
            loader = Runner.build_dataloader(self.cfg.train_dataloader, seed=settings.seed)
            step = settings.uap_step_size or settings.eps / 10
            v = craft_uap(model, loader, settings.eps, step, settings.uap_steps, selector=selector)
        else:
            selector = data.selector(model, settings.gd_uap_steps)
            mode = attack[len('gd-uap-') :]
            size = settings.size or self.cfg.model.get('data_preprocessor', {}).get('size')
            if not size:
                raise KeyError(
                    f'{self.spec.config}: model.data_preprocessor.size is not set; give '
                    'the GD-UAP perturbation size (--uap-size H W)'
                )
            v = craft_gd_uap(
                model,
                tuple(int(s) for s in size),
                settings.eps,
                settings.gd_uap_steps,
                images=None if mode == 'no' else data.images(mode),
                lr=settings.gd_uap_lr,
                generator=torch.Generator().manual_seed(settings.seed),
                selector=selector,
            )
        record = dict(
            recipe=wanted,
            fooling_rate=None if selector is None else round(selector.best_rate, 6),
            kept_step=None if selector is None else selector.best_step,
            checks=[] if selector is None else [[s, round(r, 6)] for s, r in selector.history],
        )
        save_perturbation(path, v)
        with atomic_path(osp.splitext(path)[0] + '.json') as tmp:
            with open(tmp, 'w') as f:
                json.dump(record, f, indent=2)
        return v.cpu(), record, round(time.perf_counter() - start, 2)


def universal_perturbations(
    attacks: Sequence[str],
    models: Sequence[NetworkSpec],
    surrogates: Sequence[NetworkSpec],
    white_box: Optional[str],
    files: Sequence[Tuple[str, str]],
    settings: AttackSettings,
    cache_dir: str,
    cfg_options: Optional[dict] = None,
    data_root: Optional[str] = None,
    device: str = 'cpu',
) -> List[Perturbation]:
    """The universal-perturbation columns of one run: each universal attack of
    ``attacks`` on each crafting network (:func:`crafting_networks`), then the
    files.

    Raises:
        ValueError: universal attacks without a network to craft them on.
    """
    wanted = [a for a in UNIVERSAL if a in attacks]
    networks = crafting_networks(models, surrogates, white_box)
    if wanted and not networks:
        raise ValueError(
            f'{wanted} need a network to craft on: --surrogate [NAME=]CONFIG:CKPT (not '
            'an evaluated model), or --white-box first|each'
        )
    specs = [n for n in networks if n.name != SELF]
    specs += list(models) if white_box == 'each' else []
    crafters = {
        spec: CraftingNetwork(spec, settings, cfg_options, data_root, device) for spec in specs
    }

    def cache_file(column: str) -> str:
        return osp.join(cache_dir, f'{column}_eps{settings.eps:g}.npy')

    columns = []
    for attack in wanted:
        for network in networks:
            column = f'{attack}@{network.name}'
            if network.name != SELF:
                v, record, seconds = crafters[network].craft(attack, cache_file(column))
                columns.append(
                    Perturbation(
                        column,
                        attack,
                        f'{network.name} ({network.config}:{network.checkpoint})',
                        {'*': v},
                        seconds,
                        record['fooling_rate'],
                        record['kept_step'],
                    )
                )
                continue
            vectors, rates, total = {}, [], None
            for model in models:
                v, record, seconds = crafters[model].craft(
                    attack, cache_file(f'{attack}@{SELF}-{model.name}')
                )
                vectors[model.name] = v
                if record['fooling_rate'] is not None:
                    rates.append(record['fooling_rate'])
                if seconds is not None:
                    total = (total or 0.0) + seconds
            rate = round(sum(rates) / len(rates), 6) if rates else None
            columns.append(
                Perturbation(
                    column, attack, 'each evaluated model (white box)', vectors, total, rate
                )
            )
    for name, file in files:
        columns.append(
            Perturbation(name, 'file', file, {'*': load_perturbation(file, settings.eps)})
        )
    return columns
