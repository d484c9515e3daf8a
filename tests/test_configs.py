"""Every config loads and builds (model, data pipelines, evaluators, hooks, in the scope
MMEngine builds them in); the paper-scale CAM networks run a train step at paper input
size on CPU; the configs are installed with the package (``wsss_mm::`` bases) and
indexed by model-index.yml; the layout rules of docs/design.md hold."""

import glob
import os.path as osp
import re
from pathlib import Path

import pytest
import torch
from mmengine.config import Config
from mmengine.fileio import load
from mmengine.registry import DefaultScope
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.apis.config_utils import DATALOADER_KEYS, iter_datasets
from wsss_mm.registry import DATASETS, HOOKS, METRICS, MODELS, TRANSFORMS, VISUALIZERS

ROOT = str(Path(__file__).resolve().parents[1])  # the repository

CONFIGS = sorted(
    p
    for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    if '_base_' not in p
)


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_builds_its_model(path):
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    assert cfg.default_scope == 'wsss_mm'
    model = MODELS.build(cfg.model)
    assert callable(getattr(model, 'extract_feat', None))


@pytest.mark.slow
@pytest.mark.parametrize('name,size', [('cam/cam_r50_voc.py', 512), ('cam/cam_r38d_voc.py', 448)])
def test_paper_config_train_step_at_paper_size(name, size):
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    model = MODELS.build(cfg.model).train()
    labels = torch.zeros(1, 20)
    labels[0, [4, 14]] = 1
    sample = SegDataSample()
    sample.gt_labels = labels[0]
    data = dict(
        inputs=[torch.randint(0, 255, (3, size, size), dtype=torch.uint8)], data_samples=[sample]
    )
    data = model.data_preprocessor(data, True)
    assert data['inputs'].shape == (1, 3, size, size)
    losses = model(**data, mode='loss')
    losses['loss_cls'].backward()
    assert torch.isfinite(losses['loss_cls'])
    assert model.head.classifier.weight.grad is not None


GROUP_WSSS_CONFIGS = sorted(glob.glob(osp.join(ROOT, 'configs', 'group_wsss', '*.py')))


@pytest.mark.slow
@pytest.mark.parametrize('path', GROUP_WSSS_CONFIGS, ids=osp.basename)
def test_group_wsss_configs_train_step_on_one_group(path):
    """Group-WSSS's paper-scale networks (random init) take one group of K images (4 at
    224x224; the authors' preset: 3 at 256x256) through both readouts and the backward
    pass, and their optimizer has the code's four learning rates (x1 / x2 / x10 / x20)."""
    from mmengine.optim import build_optim_wrapper

    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    authors = 'authors' in osp.basename(path)
    num_classes = cfg.model.head.num_classes
    if authors:  # class-map nodes, one shared readout
        assert cfg.model.aux_head is None and cfg.model.gnn.in_channels == num_classes
    else:
        assert cfg.model.aux_head.num_classes == num_classes
    assert num_classes == (80 if 'coco' in osp.basename(path) else 20)
    group_size = cfg.model.gnn.group_size
    sampler = dict(type='GroupSampler', group_size=4, shuffle=True)
    if authors:
        sampler = dict(type='GroupSampler', group_size=3, shuffle=False, partners='identical')
    assert cfg.train_dataloader.sampler == sampler
    assert cfg.train_dataloader.batch_size % group_size == 0
    size = 256 if authors else 224
    model = MODELS.build(cfg.model).train()
    torch.manual_seed(0)
    labels = torch.zeros(group_size, num_classes)
    labels[:, 0] = 1
    labels[1, 3] = labels[2, 5] = 1
    samples = []
    for row in labels:
        sample = SegDataSample()
        sample.gt_labels = row
        samples.append(sample)
    data = dict(
        inputs=[torch.randint(0, 255, (3, size, size), dtype=torch.uint8) for _ in samples],
        data_samples=samples,
    )
    data = model.data_preprocessor(data, True)
    assert data['inputs'].shape == (group_size, 3, size, size)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_cls', 'loss_pre'}
    sum(losses.values()).backward()
    assert all(torch.isfinite(v) for v in losses.values())
    for layer in (model.head.classifier, model.pre_head.classifier, model.gnn.proj_p):
        assert layer.weight.grad is not None
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        optimizer = build_optim_wrapper(model, cfg.optim_wrapper).optimizer
    assert optimizer.defaults['nesterov']
    assert sorted({g['lr'] for g in optimizer.param_groups}) == pytest.approx(
        [1e-3, 2e-3, 1e-2, 2e-2]
    )


@pytest.mark.parametrize('name', ['cam_synthvoc_pretrained.py', 'cpn_synthvoc_pretrained.py'])
def test_pretrained_quickstart_configs_load_the_backbone_through_init_cfg(name, tmp_path):
    """The "pretrained" quickstart backbone loads as ImageNet weights do: init_cfg
    Pretrained with the prefix 'backbone.' of a whole CAM-network checkpoint."""
    wsss_mm.register_all_modules(init_default_scope=False)
    source = MODELS.build(
        Config.fromfile(osp.join(ROOT, 'configs', 'quickstart', 'cam_synthvoc.py')).model
    )
    ckpt = str(tmp_path / 'pretrain.pth')
    torch.save(dict(state_dict=source.state_dict()), ckpt)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'quickstart', name))
    assert cfg.model.freeze_bn and cfg.get('load_from') is None
    cfg.model.backbone.init_cfg.checkpoint = ckpt
    model = MODELS.build(cfg.model)
    model.init_weights()
    for key, value in source.backbone.state_dict().items():
        assert torch.equal(model.backbone.state_dict()[key], value), key
    assert not torch.equal(model.head.classifier.weight, source.head.classifier.weight)


@pytest.mark.parametrize(
    'name',
    [
        'cam_synthvoc_fair_pretrained.py',
        'puzzle_synthvoc_pretrained.py',
        'pnoc_synthvoc_pretrained.py',
    ],
)
def test_pnoc_family_recipe_builds_the_authors_parameter_groups(name):
    """lucasdavid/PNOC's get_optimizer('sgd') (tools/ai/optim_utils.py): no momentum;
    weights (BatchNorm's too) at lr with weight decay, every bias (BatchNorm's too) at
    2 lr without it, the classifier learned from scratch at 10 lr; 2 accumulated steps
    but for the ordinary classifier's own run; P-NOC's ordinary classifier (mode='fix')
    leaves its BatchNorm out of its optimizer."""
    from mmengine.optim import build_optim_wrapper

    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(osp.join(ROOT, 'configs', 'quickstart', name))
    cfg.model.get('generator', cfg.model).backbone.init_cfg = None
    if 'ordinary_classifier' in cfg.model:
        cfg.model.ordinary_classifier.backbone.init_cfg = None
    model = MODELS.build(cfg.model)
    with DefaultScope.overwrite_default_scope(cfg.default_scope):
        wrappers = build_optim_wrapper(model, cfg.optim_wrapper)
    networks = dict(getattr(wrappers, 'optim_wrappers', {'': wrappers}))
    assert set(networks) == ({'generator', 'ordinary_classifier'} if 'pnoc' in name else {''})
    for key, wrapper in networks.items():
        net = getattr(model, key) if key else model
        optimizer = wrapper.optimizer
        base = optimizer.defaults
        assert base['momentum'] == 0
        assert wrapper._accumulative_counts == (1 if name.startswith('cam') else 2)
        groups = {id(p): g for g in optimizer.param_groups for p in g['params']}
        for pname, param in net.named_parameters():
            if not param.requires_grad:
                assert id(param) not in groups, pname
                continue
            lr, wd = groups[id(param)]['lr'], groups[id(param)]['weight_decay']
            if pname.endswith('bias'):
                assert (lr, wd) == (pytest.approx(2 * base['lr']), 0), pname
            elif 'head' in pname:
                assert (lr, wd) == (pytest.approx(10 * base['lr']), base['weight_decay']), pname
            else:
                assert (lr, wd) == (pytest.approx(base['lr']), base['weight_decay']), pname
        bns = [m for m in net.modules() if isinstance(m, torch.nn.BatchNorm2d)]
        frozen = key == 'ordinary_classifier'
        assert all(p.requires_grad != frozen for m in bns for p in m.parameters())


@pytest.mark.parametrize(
    'name',
    [
        'cam/cam_rs269_1xb32-15e_voc12aug-512x512.py',
        'puzzle/puzzle_rs269_1xb16-15e_voc12aug-512x512.py',
        'poc/poc_rs269_1xb16-15e_voc12aug-512x512.py',
        'pnoc/pnoc_rs269_1xb16-15e_voc12aug-512x512.py',
    ],
)
def test_pnoc_family_voc_configs_carry_the_authors_recipe(name):
    """The VOC configs of the P-NOC family, point by point against lucasdavid/PNOC: SGD
    without momentum; ResNeSt-269 with layer4 dilated (output stride 16) and a 128-channel
    stem; every bias x2 without weight decay; Puzzle / P-OC / P-NOC at batch 16 with 2
    accumulated steps and no PhotoMetricDistortion; the ordinary classifier's BatchNorm
    fixed with its affine parameters (mode='fix'). Read from the configs alone (building
    ResNeSt-269 is left to test_config_builds_its_model)."""
    cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
    cam = name.startswith('cam/')
    model = cfg.model
    networks = (
        [model.generator, model.ordinary_classifier] if 'ordinary_classifier' in model else [model]
    )
    for net in networks:
        backbone = net.backbone
        assert backbone.type == 'DilatedResNeSt' and backbone.depth == 269
        assert tuple(backbone.strides) == (1, 2, 2, 1) and tuple(backbone.dilations) == (1, 1, 1, 2)
        assert backbone.stem_channels == 128
    if 'ordinary_classifier' in model:
        assert model.ordinary_classifier.freeze_bn and model.ordinary_classifier.freeze_bn_affine
    wrappers = (
        [cfg.optim_wrapper.generator, cfg.optim_wrapper.ordinary_classifier]
        if 'generator' in cfg.optim_wrapper
        else [cfg.optim_wrapper]
    )
    for wrapper in wrappers:
        assert wrapper.optimizer.type == 'SGD' and wrapper.optimizer.momentum == 0
        assert wrapper.paramwise_cfg.custom_keys['.bias'] == dict(lr_mult=2.0, decay_mult=0.0)
        assert wrapper.get('accumulative_counts', 1) == (1 if cam else 2)
    assert cfg.train_dataloader.batch_size == (32 if cam else 16)
    transforms = [t['type'] for t in cfg.train_dataloader.dataset.pipeline]
    assert 'PhotoMetricDistortion' not in transforms
    assert ('mmpretrain.RandAugment' in transforms) == cam  # only the ordinary classifier's


def test_c2am_h_configs_sample_the_hints_as_the_authors():
    """C²AM-H's hints are resampled bicubically at the map's cells, then thresholded
    (lucasdavid/PNOC's scripts/ccam/train_hints.py): LoadCAMHint(sampling='bicubic')."""
    for name in (
        'c2am/c2am-h_r50_1xb64-10e_voc12aug-448x448.py',
        'quickstart/c2am_synthvoc_hints.py',
    ):
        cfg = Config.fromfile(osp.join(ROOT, 'configs', name))
        (hint,) = [t for t in cfg.train_dataloader.dataset.pipeline if t['type'] == 'LoadCAMHint']
        assert hint['sampling'] == 'bicubic', name


def _build_in_scope(registry, cfg: dict, scope: str):
    """Builds ``cfg`` as the Runner would with the default scope ``scope`` (a dict
    inherited from an ``mmseg::`` base carries ``_scope_='mmseg'``, which wins)."""
    with DefaultScope.overwrite_default_scope(scope):
        return registry.build(cfg)


def _resolve_in_scope(registry, cfg: dict, scope: str):
    """The class MMEngine picks for ``cfg['type']`` with the default scope ``scope``."""
    with DefaultScope.overwrite_default_scope(cfg.get('_scope_', scope)):
        with registry.switch_scope_and_registry(None) as scoped:
            return scoped.get(cfg['type'])


@pytest.mark.parametrize('path', CONFIGS, ids=lambda p: osp.relpath(p, ROOT))
def test_config_types_resolve(path):
    """Every dataset, transform, evaluator, hook and the visualizer resolve in the scope
    MMEngine builds them in: types inherited from mmseg's configs (unprefixed, built in
    mmseg's scope) as well as ours. A loop builds its dataloader, and a dataset its
    pipeline, in its own scope."""
    wsss_mm.register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(path)
    scope = cfg.default_scope
    _build_in_scope(VISUALIZERS, cfg.visualizer, scope)
    loops = dict(train_dataloader='train_cfg', val_dataloader='val_cfg', test_dataloader='test_cfg')
    for key in DATALOADER_KEYS:
        loader = cfg.get(key)
        loop = cfg.get(loops.get(key)) or {}
        loader_scope = loop.get('_scope_', scope)
        for dataset in iter_datasets(loader.get('dataset') if loader else None):
            assert _resolve_in_scope(DATASETS, dataset, loader_scope) is not None, (
                f'{key}: {dataset["type"]} does not resolve in the scope {loader_scope}'
            )
            with DefaultScope.overwrite_default_scope(dataset.get('_scope_', loader_scope)):
                for transform in dataset.get('pipeline', []):
                    TRANSFORMS.build(transform)
    if 'tta_pipeline' in cfg:  # replaces the test pipeline (enable_tta)
        test_scope = cfg.test_dataloader.dataset.get(
            '_scope_', (cfg.get('test_cfg') or {}).get('_scope_', scope)
        )
        for transform in cfg.tta_pipeline:
            _build_in_scope(TRANSFORMS, transform, test_scope)
        assert 'tta_model' in cfg
    for key in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(key) or []
        for evaluator in evaluators if isinstance(evaluators, list) else [evaluators]:
            _build_in_scope(METRICS, evaluator, scope)
    for hook in [*cfg.default_hooks.values(), *cfg.get('custom_hooks', [])]:
        _build_in_scope(HOOKS, hook, scope)


METHOD_FOLDERS = [
    'advcam',
    'affinity',
    'c2am',
    'cam',
    'cpn',
    'deeplab',
    'group_wsss',
    'kur',
    'pnoc',
    'poc',
    'puzzle',
    'segmix',
]


def test_model_index_lists_every_method_config():
    """model-index.yml imports one metafile per method folder; every config of the
    folder is a model of it, with the folder's README, the paper's numbers marked as
    such, and no weights (nothing is trained at VOC scale here)."""
    index = load(osp.join(ROOT, 'model-index.yml'))
    assert index['Import'] == [f'configs/{f}/metafile.yaml' for f in METHOD_FOLDERS]
    names = set()
    for folder in METHOD_FOLDERS:
        meta = load(osp.join(ROOT, 'configs', folder, 'metafile.yaml'))
        collections = {c['Name']: c for c in meta['Collections']}
        for collection in collections.values():
            assert collection['README'] == f'configs/{folder}/README.md'
            assert collection['Paper']['Title'] and collection['Paper']['URL']
            assert collection['License'] == 'Apache License 2.0'
            code = collection['Code']
            assert code.startswith('https://') or osp.exists(osp.join(ROOT, code)), code
        configs = set()
        for model in meta['Models']:
            assert model['In Collection'] in collections
            assert model['Weights'] is None
            assert osp.isfile(osp.join(ROOT, model['Config'])), model['Config']
            assert model['Name'] == osp.splitext(osp.basename(model['Config']))[0]
            for metric in model.get('Results', {}).get('Metrics', {}):
                assert 'paper' in metric, f'{model["Name"]}: {metric} is not marked paper'
            assert model['Name'] not in names, f'{model["Name"]} is listed twice'
            configs.add(model['Config'])
            names.add(model['Name'])
        on_disk = glob.glob(osp.join(ROOT, 'configs', folder, '*.py'))
        assert configs == {osp.relpath(p, ROOT) for p in on_disk}, folder


def test_configs_resolve_as_package_configs(tmp_path):
    """``_base_ = ['wsss_mm::...']`` reads the installed configs (setup.py links or
    copies them into wsss_mm/.mim) and gives the same config as the file itself."""
    from mmengine.config import config as mmengine_config

    package_path = mmengine_config.get_installed_path('wsss_mm')
    for name in ['model-index.yml', 'configs/cam/cam_r50_voc.py', 'tools/train.py']:
        assert osp.exists(osp.join(package_path, '.mim', name)), (
            f'{name} is not in {package_path}/.mim: run `pip install -e .` (make install)'
        )
    child = tmp_path / 'child.py'
    child.write_text("_base_ = ['wsss_mm::cam/cam_r50_voc.py']\n")
    direct = Config.fromfile(osp.join(ROOT, 'configs', 'cam', 'cam_r50_voc.py')).to_dict()
    assert Config.fromfile(str(child)).to_dict() == _with_scope(direct, 'wsss_mm')


def _with_scope(cfg, scope):
    """``cfg`` with ``_scope_=scope`` on the dicts that an external base stamps."""

    def stamp(node, top=True):
        if isinstance(node, dict):
            if top and 'type' in node:
                return {'_scope_': scope, **{k: stamp(v, False) for k, v in node.items()}}
            return {k: stamp(v, top) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return type(node)(stamp(v, top) for v in node)
        return node

    return {k: stamp(v) for k, v in cfg.items()}


#: names given before the naming rule of docs/design.md (tools, tests and docs name them)
LEGACY_NAMES = {
    'advcam_r50_voc.py',
    'affinity_r50_voc.py',
    'affinity_r50_voc_irn.py',
    'affinity_r50_voc_pnoc.py',
    'affinity_r50_voc_puzzlecam.py',
    'cam_r38d_voc.py',
    'cam_r50_voc.py',
    'cpn_r38_voc.py',
    'cpn_r38_voc_abl1_baseline.py',
    'cpn_r38_voc_abl2_tcp-pcm.py',
    'cpn_r38_voc_abl3_cpcr.py',
    'cpn_r38_voc_abl4_ohem.py',
    'cpn_r38_voc_grid.py',
    'deeplabv2_r101_voc_pseudo.py',
    'deeplabv3_r101_voc_pseudo.py',
    'deeplabv3plus_r101_voc_pseudo.py',
    'kur_r50_voc.py',
}
#: mmseg's {algorithm}_{backbone}_{schedule}_{dataset}-{crop}.py
MMSEG_NAME = re.compile(r'^[a-z0-9.+-]+_[a-z0-9.+-]+_[a-z0-9.+-]+_[a-z0-9.+-]+-\d+x\d+\.py$')


def test_new_method_configs_follow_the_naming_rule():
    assert MMSEG_NAME.match('cam_r50_4xb4-5e_voc12aug-512x512.py')  # the example below
    # the exempt names are configs of today, none of which follows the rule
    assert LEGACY_NAMES <= {osp.basename(p) for p in CONFIGS}
    assert not any(MMSEG_NAME.match(name) for name in LEGACY_NAMES)
    for path in CONFIGS:
        folder, name = osp.relpath(path, osp.join(ROOT, 'configs')).split(osp.sep, 1)
        if folder == 'quickstart' or name in LEGACY_NAMES:
            continue
        assert MMSEG_NAME.match(name), (
            f'configs/{folder}/{name}: name new configs {{algorithm}}_{{backbone}}_'
            '{schedule}_{dataset}-{crop}.py, e.g. cam_r50_4xb4-5e_voc12aug-512x512.py '
            '(docs/design.md, Configs)'
        )


def test_one_block_per_kind_and_schedules_apart_from_the_runtime():
    """The data preprocessor and the TTA pipeline are written once (configs inherit them),
    and the schedules do not pull in the runtime (nor the runtime a schedule)."""
    sources = {
        osp.relpath(p, osp.join(ROOT, 'configs')): open(p).read()
        for p in glob.glob(osp.join(ROOT, 'configs', '**', '*.py'), recursive=True)
    }
    # (a config may switch the type to MixSegDataPreProcessor, which keeps the block)
    block = re.compile(r"(?<![A-Za-z])SegDataPreProcessor'")
    assert [p for p, s in sources.items() if block.search(s)] == [
        osp.join('_base_', 'models', 'seg_data_preprocessor.py')
    ]
    assert [p for p, s in sources.items() if "'TestTimeAug'" in s] == [
        osp.join('_base_', 'datasets', 'seg_tta.py')
    ]
    runtime = Config.fromfile(osp.join(ROOT, 'configs', '_base_', 'default_runtime.py'))
    assert not {'optim_wrapper', 'param_scheduler', 'train_cfg', 'default_hooks'} & set(runtime)
    for path in glob.glob(osp.join(ROOT, 'configs', '_base_', 'schedules', '*.py')):
        assert not {'default_scope', 'visualizer'} & set(Config.fromfile(path)), path
