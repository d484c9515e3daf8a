"""The results page: one markdown table per data set, every method in a row, from
the records of finished ``tools/run_pipeline.py`` runs (docs/results.md).

A *record* is one run as a small JSON-ready dict (committed under docs/results/, so
that the page grows across machines and is regenerated without rerunning anything)::

    method         str          the row, e.g. 'AdvCAM'
    config         str          the pipeline config's file name
    cam_method     str          the CAM method of the inference stage (--method)
    seed           int | None   randomness.seed of the CAM network's training
    dataset        dict         'name' (the data root's folder name) and, for a set of
                                tools/make_synthetic_voc.py, 'synthetic': the parameters
                                of its synthetic_voc.json (they identify the set)
    val_map        float | None the CAM network's classification mAP on val (%)
    numbers        dict         the pipeline's numbers (%): NUMBER_STAGES' keys, None
                                where the stage did not run
    stage_seconds  dict         stage name -> wall seconds when it ran
    reused_stages  list[str]    stages taken over from another run (e.g. AdvCAM's CAM
                                network is the CAM row's): not counted in wall time
    date           str          YYYY-MM-DD of the run's last stage
    command        str | None   the command that made the run

:func:`record_from_work_dir` reads a work dir into a record, :func:`check_record`
validates one read from a file, and :func:`results_markdown` (a pure function of the
records) writes the page. The papers' VOC figures beside each row are read from the
configs' metafile.yaml (:func:`read_paper_figures`), the numbers the method pages quote.
"""

from __future__ import annotations

import datetime
import glob
import json
import math
import os.path as osp
from collections.abc import Sequence

#: record['numbers'] key -> (stage, key in its record)
NUMBER_STAGES = {
    'seed_miou': ('eval_cams', 'seed_miou'),
    'seed_threshold': ('eval_cams', 'seed_threshold'),
    'floor_miou': ('eval_cams', 'floor_miou'),
    'crf_miou': ('eval_crf', 'crf_miou'),
    'walk_miou': ('eval_walk', 'walk_miou'),
    'pseudo_miou': ('pseudo_masks', 'pseudo_miou'),
    'val_miou': ('test_seg', 'val_miou'),
}
#: the stages a run must have finished to be a record (the CAM network and its seeds)
REQUIRED_STAGES = ('train_cam', 'eval_cams')
#: the stages whose time is the CAM network's training (its auxiliary networks included)
TRAIN_STAGES = ('train_auxiliary', 'train_cam')
#: the rows first, in this order; other methods follow by name
METHOD_ORDER = ('CAM', 'AdvCAM', 'CPN', 'P-NOC+LS', 'Group-WSSS', 'SegMix')
#: the row every other is compared with
BASELINE = 'CAM'

#: The papers' PASCAL VOC 2012 figures beside each row, for the direction of each
#: gain: method -> column -> (config folder, model name in its metafile.yaml, metric).
#: Columns: 'seeds', 'crf', 'pseudo', 'seg'.
PAPER_FIGURES = {
    'CAM': dict(
        seeds=('cam', 'cam_r50_voc', 'seed mIoU (train, paper, IRN)'),
        pseudo=('affinity', 'affinity_r50_voc', 'pseudo-mask mIoU (train, paper, IRN from CAM)'),
        seg=('deeplab', 'deeplabv2_r101_voc_pseudo', 'mIoU (val, paper, IRN)'),
    ),
    'AdvCAM': dict(
        seeds=('advcam', 'advcam_r50_voc', 'seed mIoU (train, paper)'),
        crf=('advcam', 'advcam_r50_voc', 'seed mIoU with CRF (train, paper)'),
        pseudo=('advcam', 'advcam_r50_voc', 'pseudo-mask mIoU (train, paper, IRN refinement)'),
        seg=('advcam', 'advcam_r50_voc', 'DeepLab mIoU (val, paper)'),
    ),
    'CPN': dict(
        seeds=('cpn', 'cpn_r38_voc', 'seed mIoU (train, paper)'),
        pseudo=('cpn', 'cpn_r38_voc', 'pseudo-mask mIoU (train, paper, AffinityNet)'),
        seg=('cpn', 'cpn_r38_voc', 'DeepLab mIoU (val, paper, with CRF)'),
    ),
    'P-NOC+LS': dict(
        seeds=(
            'pnoc',
            'pnoc_rs269_1xb16-15e_voc12aug-512x512',
            'seed mIoU (train, paper, thesis Table 7, TTA)',
        ),
        seg=('deeplab', 'deeplabv3plus_r101_voc_pseudo', 'mIoU (val, paper, P-NOC, GroupNorm)'),
    ),
    'Group-WSSS': dict(
        seg=(
            'group_wsss',
            'group-wsss_r101_1xb4-15e_voc12aug-224x224',
            'DeepLab-v2 mIoU (val, paper, Table 1)',
        ),
    ),
    'SegMix': dict(
        seg=(
            'segmix',
            'binding-cc_r101-d8_4xb4-50e_voc12aug-513x513',
            'mIoU (val, paper, Tables 7-8, without DN)',
        ),
    ),
}
#: what differs in a paper's setting from the others (printed under each table)
PAPER_NOTES = {
    'CAM': 'ResNet-50 CAMs, IRN refinement and DeepLab (IRN)',
    'AdvCAM': 'ResNet-50, IRN refinement',
    'CPN': 'ResNet-38d, AffinityNet, DeepLab with CRF',
    'P-NOC+LS': 'ResNeSt-269 with test-time augmentation, DeepLabV3+',
    'Group-WSSS': 'ResNet-101 with saliency',
    'SegMix': 'Binding-CC trained on the ground-truth masks (fully supervised), not on '
    'pseudo masks: its gain is over DeepLabV3 on the same masks',
}
#: (header, key in record['numbers'], PAPER_FIGURES column): the quality columns, each
#: followed by the paper's VOC figure
_QUALITY = (
    ('seeds', 'seed_miou', 'seeds'),
    ('+CRF', 'crf_miou', 'crf'),
    ('pseudo masks', 'pseudo_miou', 'pseudo'),
    ('segmentation val', 'val_miou', 'seg'),
)
_BELOW = '↓'


# --------------------------------------------------------------------------- #
# Reading runs and records
# --------------------------------------------------------------------------- #
def _read_json(path: str) -> dict:
    """A JSON object from a file, with the file named in any error."""
    try:
        with open(path) as f:
            value = json.load(f)
    except json.JSONDecodeError as error:
        raise ValueError(f'{path}: not valid JSON ({error})') from None
    if not isinstance(value, dict):
        raise ValueError(f'{path}: expected a JSON object, got {type(value).__name__}')
    return value


def dataset_info(data_root: str) -> dict:
    """What identifies a data set in a record: its folder's name and, for a set of
    ``tools/make_synthetic_voc.py``, the parameters of its ``synthetic_voc.json``
    (seed, sizes, style), which make it byte for byte.

    Returns:
        dict: ``{'name': str}`` plus ``'synthetic': dict`` where the marker exists.
    """
    info = {'name': osp.basename(osp.normpath(data_root))}
    marker = osp.join(data_root, 'synthetic_voc.json')
    if osp.isfile(marker):
        summary = _read_json(marker)
        keys = ('num_train', 'num_val', 'size', 'seed', 'style', 'layout')
        info['synthetic'] = {k: summary[k] for k in keys if k in summary}
    return info


def _dumped_config(work_dir: str, train_cam: dict) -> str:
    """The config the CAM network was trained with, as MMEngine dumped it into
    ``WORK_DIR/cam/`` (or into the ``cam/`` of the run whose training the stage
    record ``train_cam`` says it took over: ``reused_from``)."""
    cam_dir = osp.join(train_cam.get('reused_from') or work_dir, 'cam')
    dumps = sorted(glob.glob(osp.join(cam_dir, '*.py')))
    if len(dumps) != 1:
        found = ', '.join(osp.basename(d) for d in dumps) or 'none'
        raise FileNotFoundError(
            f'{work_dir}: expected one config dump in {cam_dir} (the CAM network trained by '
            f'tools/run_pipeline.py), found {found}'
        )
    return dumps[0]


def record_from_work_dir(
    work_dir: str,
    method: str | None = None,
    command: str | None = None,
    config: str | None = None,
) -> dict:
    """The record of a ``tools/run_pipeline.py`` work dir (see the module doc).

    Reads ``WORK_DIR/stages/*.json`` (each stage's result and ``seconds``; a stage
    that carries ``reused_from`` was taken over from another run) and the CAM
    network's config dump in ``WORK_DIR/cam/`` (its file name, ``randomness.seed``
    and the data root of the CAM split, whose ``synthetic_voc.json`` identifies the
    set; relative paths are read from the current folder).

    Args:
        work_dir (str): the pipeline's work dir.
        method (str, optional): the row's name; default: the CAM method when it is
            not CAM, else the config's name without ``.py``.
        command (str, optional): the command that made the run.
        config (str, optional): the pipeline config's file name; default: the
            CAM network's (different where the run took the network over from
            another, e.g. SegMix's pipeline from the CAM run).

    Raises:
        FileNotFoundError: ``work_dir`` has no ``stages/``, a stage of
            ``REQUIRED_STAGES`` has not finished, the config dump is missing or
            its data root is not a folder.
        ValueError: a stage file is not a JSON object.
    """
    from mmengine.config import Config

    stage_dir = osp.join(work_dir, 'stages')
    if not osp.isdir(stage_dir):
        raise FileNotFoundError(
            f'{work_dir}: no stages/ folder: not a tools/run_pipeline.py work dir'
        )
    stages = {
        osp.splitext(osp.basename(path))[0]: _read_json(path)
        for path in sorted(glob.glob(osp.join(stage_dir, '*.json')))
    }
    for name in REQUIRED_STAGES:
        if name not in stages:
            raise FileNotFoundError(
                f'{work_dir}: stage {name} has not finished (no stages/{name}.json): '
                'rerun tools/run_pipeline.py on it to finish the run'
            )
    cfg = Config.fromfile(
        _dumped_config(work_dir, stages['train_cam']), import_custom_modules=False
    )
    data_root = cfg.cam_dataloader.dataset.data_root
    if not osp.isdir(data_root):
        raise FileNotFoundError(
            f'{work_dir}: the data root of its config, {data_root}, is not a folder: run from '
            'the folder tools/run_pipeline.py ran in'
        )
    cam_method = stages.get('infer_cams', {}).get('method', 'CAM')
    config = config or osp.basename(cfg.filename)
    if method is None:
        method = cam_method if cam_method != 'CAM' else osp.splitext(config)[0]
    numbers = {}
    for key, (stage, field) in NUMBER_STAGES.items():
        value = stages.get(stage, {}).get(field)
        numbers[key] = None if value is None else round(float(value), 2)
    val_map = stages.get('eval_classifier', {}).get('val_map')
    last = max(osp.getmtime(osp.join(stage_dir, f'{name}.json')) for name in stages)
    return dict(
        method=method,
        config=config,
        cam_method=cam_method,
        seed=(cfg.get('randomness') or {}).get('seed'),
        dataset=dataset_info(data_root),
        val_map=None if val_map is None else round(float(val_map), 2),
        numbers=numbers,
        stage_seconds={name: r['seconds'] for name, r in stages.items() if 'seconds' in r},
        reused_stages=sorted(name for name, r in stages.items() if r.get('reused_from')),
        date=datetime.date.fromtimestamp(last).isoformat(),
        command=command,
    )


def _is_number_or_none(value) -> bool:
    return value is None or (
        isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    )


def check_record(record: dict, source: str) -> dict:
    """Checks a record read from ``source`` (a file) and returns it.

    Raises:
        ValueError: a key is missing or has the wrong type; the message names
            ``source`` and the key.
    """
    expected = dict(
        method=str, config=str, cam_method=str, dataset=dict, numbers=dict, stage_seconds=dict
    )
    for key, kind in expected.items():
        if not isinstance(record.get(key), kind):
            got = 'nothing' if key not in record else type(record[key]).__name__
            raise ValueError(f'{source}: key "{key}" must be a {kind.__name__}, got {got}')
    if not isinstance(record['dataset'].get('name'), str):
        raise ValueError(f'{source}: key "dataset.name" must be a str')
    seed = record.get('seed')
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool)):
        raise ValueError(f'{source}: key "seed" must be an integer or null, got {seed!r}')
    for key in ('val_map',):
        if not _is_number_or_none(record.get(key)):
            raise ValueError(f'{source}: key "{key}" must be a number or null')
    for group in ('numbers', 'stage_seconds'):
        for key, value in record[group].items():
            if not _is_number_or_none(value):
                raise ValueError(f'{source}: key "{group}.{key}" must be a number or null')
    record.setdefault('reused_stages', [])
    record.setdefault('date', None)
    record.setdefault('command', None)
    return record


def load_records(
    inputs: Sequence[str],
    method: str | None = None,
    command: str | None = None,
    config: str | None = None,
) -> tuple[list[dict], list[dict]]:
    """The records of the inputs, each a ``tools/run_pipeline.py`` work dir (a
    folder with ``stages/``: :func:`record_from_work_dir` with ``method``,
    ``command`` and ``config``), a record file (``.json``) or a folder of record files (searched
    recursively).

    Returns:
        tuple[list[dict], list[dict]]: every record, and those made from work dirs.

    Raises:
        FileNotFoundError: an input does not exist, or is a folder with neither
            ``stages/`` nor records.
        ValueError: a record file is not a valid record (:func:`check_record`).
    """
    records, from_work_dirs = [], []
    for path in inputs:
        if osp.isdir(osp.join(path, 'stages')):
            record = record_from_work_dir(path, method, command, config)
            records.append(record)
            from_work_dirs.append(record)
            continue
        if osp.isdir(path):
            files = sorted(glob.glob(osp.join(path, '**', '*.json'), recursive=True))
            if not files:
                raise FileNotFoundError(
                    f'{path}: no run records yet (no <data set>/<method>_seed<k>.json below it) '
                    'and no stages/ folder: make them with bash '
                    'tools/analysis_tools/run_results.sh DATA_DEFAULT DATA_PARTS, or the record '
                    'of one tools/run_pipeline.py work dir with collect_results.py WORK_DIR '
                    '--name METHOD --save-records DIR'
                )
        elif osp.isfile(path):
            files = [path]
        else:
            raise FileNotFoundError(f'input not found: {path}')
        records += [check_record(_read_json(file), file) for file in files]
    return records, from_work_dirs


def record_file_name(record: dict) -> str:
    """Where a record goes under the records folder:
    ``<data set name>/<method>_seed<k>.json`` (method name in lower case, characters
    other than letters, digits, '-' and '_' as '_')."""
    method = ''.join(c if c.isalnum() or c in '-_' else '_' for c in record['method'].lower())
    seed = 'none' if record['seed'] is None else record['seed']
    return osp.join(record['dataset']['name'], f'{method}_seed{seed}.json')


# --------------------------------------------------------------------------- #
# The papers' figures
# --------------------------------------------------------------------------- #
def read_paper_figures(configs_dir: str) -> dict:
    """The papers' VOC figures of :data:`PAPER_FIGURES`, read from
    ``<configs_dir>/<folder>/metafile.yaml``.

    Returns:
        dict: method -> column -> value.

    Raises:
        FileNotFoundError: a metafile is missing.
        KeyError: a model or a metric is not in its metafile (named in the message).
    """
    import yaml

    metafiles: dict = {}
    figures: dict = {}
    for method, columns in PAPER_FIGURES.items():
        for column, (folder, model, metric) in columns.items():
            path = osp.join(configs_dir, folder, 'metafile.yaml')
            if path not in metafiles:
                if not osp.isfile(path):
                    raise FileNotFoundError(f'metafile not found: {path}')
                with open(path) as f:
                    metafiles[path] = {m['Name']: m for m in yaml.safe_load(f).get('Models', [])}
            if model not in metafiles[path]:
                raise KeyError(f'{path}: no model named "{model}"')
            metrics = metafiles[path][model].get('Results', {}).get('Metrics', {})
            if metric not in metrics:
                raise KeyError(f'{path}: model "{model}" has no metric "{metric}"')
            figures.setdefault(method, {})[column] = float(metrics[metric])
    return figures


# --------------------------------------------------------------------------- #
# The page
# --------------------------------------------------------------------------- #
def dataset_key(dataset: dict) -> str:
    """Records with the same key are one data set: a synthetic set by its
    parameters (the same set made on two machines under other folder names), any
    other by its folder name."""
    if 'synthetic' in dataset:
        return json.dumps(dataset['synthetic'], sort_keys=True)
    return dataset['name']


def dataset_title(dataset: dict) -> str:
    """A heading for a data set's table."""
    params = dataset.get('synthetic')
    if params is None:
        return f'`{dataset["name"]}`'
    style = dict(params.get('style') or {})
    regime = style.pop('regime', 'default')
    defaults = dict(object_scale=1.0, thin_fraction=0.0, classes=None, clutter=1.0)
    extra = [f'{k} {v}' for k, v in style.items() if defaults.get(k, object()) != v]
    layout = ', COCO layout' if params.get('layout') == 'coco' else ''
    text = (
        f'Synthetic set, {regime} regime (`{dataset["name"]}`: '
        f'`make_synthetic_voc.py --seed {params.get("seed")}'
        f'{" --regime " + regime if regime != "default" else ""}`; '
        f'{params.get("num_train")} train / {params.get("num_val")} val images of '
        f'{params.get("size")} px{layout}'
    )
    return text + (f'; {", ".join(extra)}' if extra else '') + ')'


def _stats(values: Sequence[float]) -> tuple[float, float | None, int]:
    """(mean, sample standard deviation or None for one value, count)."""
    n = len(values)
    mean = sum(values) / n
    if n < 2:
        return mean, None, n
    return mean, math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1)), n


def _cell(values: list, digits: int, n_row: int) -> tuple[str, float | None]:
    """'mean ± std' of the values that exist ('—' for none), with '(n=k)' when fewer
    than the row's runs have one; and the mean."""
    present = [v for v in values if v is not None]
    if not present:
        return '—', None
    mean, std, n = _stats(present)
    text = f'{mean:.{digits}f}' + ('' if std is None else f' ± {std:.{digits}f}')
    return text + ('' if n == n_row else f' (n={n})'), round(mean, digits)


def _row_key(record: dict) -> tuple[str, str, str]:
    return record['method'], record['config'], record['cam_method']


def _row_order(key: tuple[str, str, str]) -> tuple:
    method = key[0]
    rank = METHOD_ORDER.index(method) if method in METHOD_ORDER else len(METHOD_ORDER)
    return rank, key


def _train_seconds(record: dict) -> float | None:
    times = [record['stage_seconds'].get(name) for name in TRAIN_STAGES]
    times = [t for t in times if t is not None]
    return sum(times) if times else None


def _wall_seconds(record: dict) -> float:
    """The run's own stage times (stages taken over from another run left out)."""
    reused = set(record.get('reused_stages') or ())
    return sum(s for name, s in record['stage_seconds'].items() if name not in reused and s)


def _duration(seconds: float) -> str:
    minutes = int(round(seconds / 60))
    return f'{minutes // 60} h {minutes % 60:02d} min' if minutes >= 60 else f'{minutes} min'


def _row_cells(key: tuple[str, str, str], runs: list[dict], papers: dict) -> list[tuple]:
    """The cells of one row: ``(text, mean or None, kind)``, kind ``'high'`` (more is
    better), ``'low'`` (less is better) or None (not compared).

    Raises:
        ValueError: two of the runs have the same training seed.
    """
    runs = sorted(runs, key=lambda r: (r['seed'] is None, r['seed']))
    seeds = [r['seed'] for r in runs]
    repeated = sorted({s for s in seeds if seeds.count(s) > 1}, key=str)
    if repeated:
        raise ValueError(
            f'two records of {key[0]} ({key[1]}) with training seed {repeated[0]} on one '
            'data set: remove one'
        )
    n = len(runs)

    def cell(values: list, digits: int, kind: str, stage: str) -> tuple:
        """A compared cell; in parentheses and not compared where every run took the
        stage over from another run (e.g. SegMix's seeds are the CAM run's)."""
        text, mean = _cell(values, digits, n)
        if mean is not None and all(stage in r['reused_stages'] for r in runs):
            return f'({text})', None, None
        return text, mean, kind

    method, config, cam_method = key
    config_text = f'`{config}`' + (f' `--method {cam_method}`' if cam_method != 'CAM' else '')
    seeds_text = ', '.join('?' if s is None else str(s) for s in seeds)
    row = [(method, None, None), (config_text, None, None), (seeds_text, None, None)]
    row.append(cell([r.get('val_map') for r in runs], 1, 'high', 'eval_classifier'))
    figures = papers.get(method, {})
    for _, number, column in _QUALITY:
        stage = NUMBER_STAGES[number][0]
        row.append(cell([r['numbers'].get(number) for r in runs], 1, 'high', stage))
        figure = figures.get(column)
        row.append(('—' if figure is None else f'{figure:g}', None, None))
    row.append(cell([_train_seconds(r) for r in runs], 0, 'low', 'train_cam'))
    infer_times = [r['stage_seconds'].get('infer_cams') for r in runs]
    row.append(cell(infer_times, 0, 'low', 'infer_cams'))
    return row


def _table(records: list[dict], papers: dict) -> list[str]:
    """The markdown lines of one data set's table and its wall time: the best mean
    of each compared column in bold, quality cells below the baseline row's marked."""
    rows: dict = {}
    for record in records:
        rows.setdefault(_row_key(record), []).append(record)
    keys = sorted(rows, key=_row_order)
    cells = {key: _row_cells(key, rows[key], papers) for key in keys}
    header = ['method', 'config', 'training seeds', 'val mAP']
    for name, _, _ in _QUALITY:
        header += [name, 'VOC']
    header += ['train (s)', 'CAM (s)']
    base = next((cells[k] for k in keys if k[0] == BASELINE), None)
    lines = ['| ' + ' | '.join(header) + ' |', '|' + '---|' * len(header)]
    for key in keys:
        texts = []
        for i, (text, mean, kind) in enumerate(cells[key]):
            column = [cells[k][i][1] for k in keys if cells[k][i][1] is not None]
            if mean is not None and len(column) > 1:
                if mean == (max(column) if kind == 'high' else min(column)):
                    text = f'**{text}**'
            below = (
                kind == 'high'
                and base is not None
                and key[0] != BASELINE
                and None not in (mean, base[i][1])
                and mean < base[i][1]
            )
            texts.append(f'{text} {_BELOW}' if below else text)
        lines.append('| ' + ' | '.join(texts) + ' |')
    if base is None:
        lines += ['', f'(No {BASELINE} row on this set: nothing is marked {_BELOW}.)']
    seconds = sum(_wall_seconds(r) for r in records)
    runs = f'{len(records)} run' + ('s' if len(records) > 1 else '')
    lines += ['', f'Wall time of these {runs}: {_duration(seconds)}.']
    return lines


def results_markdown(records: Sequence[dict], papers: dict, command: str | None = None) -> str:
    """The results page: one table per data set (the parts regime first), a row per
    method (and config), as in :data:`METHOD_ORDER`.

    Columns: method | config | training seeds | val mAP | seeds | VOC | +CRF | VOC |
    pseudo masks | VOC | segmentation val | VOC | train (s) | CAM (s); quality as
    mean ± std over the training seeds, the best of each column in bold, cells below
    the CAM row marked; train time is the CAM network's (auxiliary networks
    included), CAM time its inference stage's.

    Args:
        records (Sequence[dict]): checked records (:func:`check_record`).
        papers (dict): method -> column -> the paper's VOC figure
            (:func:`read_paper_figures`).
        command (str, optional): the command that made the page, quoted at its top.

    Raises:
        ValueError: no records, or two records of one row with the same seed.
    """
    if not records:
        raise ValueError('no records to tabulate')
    groups: dict = {}
    for record in records:
        groups.setdefault(dataset_key(record['dataset']), []).append(record)

    def order(key: str) -> tuple:
        dataset = groups[key][0]['dataset']
        regime = (dataset.get('synthetic') or {}).get('style', {}).get('regime', 'default')
        return regime != 'parts', dataset_title(dataset)

    methods = {r['method'] for r in records}
    notes = [f'{m}: {PAPER_NOTES[m]}' for m in METHOD_ORDER if m in methods and m in PAPER_NOTES]
    dates = sorted(r['date'] for r in records if r.get('date'))
    lines = ['# Results: every method through the whole pipeline', '']
    if command:
        lines += [f'Generated by `{command}`.', '']
    when = f' (runs of {dates[0]} to {dates[-1]})' if dates else ''
    total = sum(_wall_seconds(r) for r in records)
    runs = f'{len(records)} run' + ('s' if len(records) > 1 else '')
    lines += [
        f'{runs}{when}, {_duration(total)} of wall time in all. Every run is '
        '`tools/run_pipeline.py` from nothing: the CAM network (val mAP: its classification '
        'on val), its multi-scale + flip seeds on train at their best background threshold, '
        'the seeds + dense CRF, the pseudo masks of the AffinityNet random walk, and the '
        'segmentation network trained on them, tested on val (mIoU in %). Times are wall '
        'seconds of the stages: train = the CAM network (and its auxiliary networks), '
        'CAM = its inference; in parentheses: taken over from the CAM run of the same seed '
        '(AdvCAM runs on its network, SegMix on its pseudo masks), not compared. '
        'The configs, options and budget of every run are in its record\'s `command` '
        '(`docs/results/`; `bash tools/analysis_tools/run_results.sh --help`).',
        '',
        f'Mean ± std over the training seeds (one seed: no std); the best of each column in '
        f'bold; {_BELOW}: below the {BASELINE} row. VOC: the paper\'s PASCAL VOC 2012 figure '
        '(from `configs/*/metafile.yaml`, as the method pages quote it), for the direction '
        'of each gain only: the papers use other backbones, image sizes and budgets'
        + (f' ({"; ".join(notes)})' if notes else '')
        + '.',
    ]
    for key in sorted(groups, key=order):
        dataset = groups[key][0]['dataset']
        lines += ['', f'## {dataset_title(dataset)}', '']
        lines += _table(groups[key], papers)
    return '\n'.join(lines) + '\n'
