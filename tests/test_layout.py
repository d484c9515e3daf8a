"""The package layout: imports follow the data flow (datasets -> models -> cams ->
refine -> apis; evaluation and utils below them), old module paths are gone, and
the user-facing inference API of wsss_mm.apis."""

import ast
import glob
import importlib.util
import os.path as osp

import cv2
import numpy as np
import pytest
import torch
from conftest import QUICKSTART, ROOT

from wsss_mm.apis import inference_cams, init_model
from wsss_mm.apis.train import load_config
from wsss_mm.registry import MODELS

PACKAGE = osp.join(ROOT, 'wsss_mm')


def module_name(path):
    """``wsss_mm/models/utils/affinity.py`` -> ``wsss_mm.models.utils.affinity``."""
    rel = osp.relpath(path, ROOT)[: -len('.py')].replace(osp.sep, '.')
    return rel[: -len('.__init__')] if rel.endswith('.__init__') else rel


def imported_modules(path):
    """Absolute names of every module a file imports (relative imports resolved,
    imports inside functions included)."""
    name = module_name(path)
    package = name if path.endswith('__init__.py') else name.rsplit('.', 1)[0]
    with open(path, encoding='utf-8') as f:
        tree = ast.parse(f.read(), path)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split('.')
                base = base[: len(base) - node.level + 1]
                module = '.'.join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            found.append(module)
            found += [f'{module}.{alias.name}' for alias in node.names]
    return found


def offending_imports(subpackage, forbidden, allowed=()):
    """``file: module`` for every import of a forbidden package under
    ``wsss_mm/<subpackage>`` (modules in ``allowed`` excepted)."""
    bad = []
    for path in sorted(glob.glob(osp.join(PACKAGE, subpackage, '**', '*.py'), recursive=True)):
        for module in imported_modules(path):
            if any(module == f or module.startswith(f + '.') for f in forbidden) and not any(
                module == a or module.startswith(a + '.') for a in allowed
            ):
                bad.append(f'{osp.relpath(path, ROOT)}: {module}')
    return bad


def test_models_import_no_later_stage():
    assert (
        offending_imports(
            'models', ['wsss_mm.datasets', 'wsss_mm.refine', 'wsss_mm.apis', 'wsss_mm.cams']
        )
        == []
    )


def test_evaluation_imports_no_stage_above_the_layout():
    assert (
        offending_imports(
            'evaluation',
            [
                'wsss_mm.apis',
                'wsss_mm.refine',
                'wsss_mm.cams',
                'wsss_mm.models',
                'wsss_mm.datasets',
            ],
            allowed=['wsss_mm.datasets.voc_layout'],
        )
        == []
    )


def test_import_parser_resolves_relative_imports():
    path = osp.join(PACKAGE, 'models', 'segmentors', 'affinity_net.py')
    assert 'wsss_mm.models.utils.affinity.pair_targets' in imported_modules(path)


@pytest.mark.parametrize(
    'old', ['wsss_mm.apis.benchmark', 'wsss_mm.apis.parallel', 'wsss_mm.refine.affinity']
)
def test_old_module_paths_are_gone(old):
    assert importlib.util.find_spec(old) is None


def test_moved_names_are_not_re_exported():
    import wsss_mm.apis.eval_cams as eval_cams
    import wsss_mm.apis.label_maps as label_maps
    import wsss_mm.datasets.transforms as transforms
    import wsss_mm.refine as refine

    assert not hasattr(eval_cams, 'load_pair')
    for name in ('evaluate_label_maps', 'eval_label_dir', 'ReadLabelMap', 'has_ground_truth'):
        assert not hasattr(label_maps, name)
    assert not hasattr(transforms, 'complementary_pair')
    assert not hasattr(refine, 'dense_affinity')
    assert not osp.exists(osp.join(ROOT, 'tools', 'benchmark.py'))


@pytest.fixture(scope='module')
def quickstart_checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    model = MODELS.build(load_config(QUICKSTART).model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'cam.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_init_model_and_inference_cams(quickstart_checkpoint, tmp_path):
    model = init_model(QUICKSTART, quickstart_checkpoint, device='cpu')
    assert not model.training and model.cfg.model.type == 'CAMClassifier'
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    result = inference_cams(model, img, labels=[3, 12])
    assert list(result['keys']) == [3, 12] and result['keys'].dtype == np.int64
    cam = result['cam']
    assert cam.shape == (2, 40, 52) and cam.dtype == np.float32
    assert cam.min() >= 0 and cam.max() <= 1 and cam.max() > 0

    path = str(tmp_path / 'img.jpg')
    cv2.imwrite(path, img)
    result = inference_cams(model, path, scales=(1.0, 0.5), flip=True, labels=[5])
    assert list(result['keys']) == [5] and result['cam'].shape == (1, 40, 52)
    predicted = inference_cams(model, img)  # the classes with sigmoid > 0.5
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[torch.from_numpy(img).permute(2, 0, 1)]), False)
        scores = model.predict_logits(model.extract_feat(data['inputs'])).sigmoid()[0]
    assert list(predicted['keys']) == [int(c) + 1 for c in (scores > 0.5).nonzero().flatten()]
    assert predicted['cam'].shape == (len(predicted['keys']), 40, 52)
    with pytest.raises(ValueError, match='outside the class ids 1..20'):
        inference_cams(model, img, labels=[0])


def test_init_model_names_missing_files(tmp_path):
    missing = str(tmp_path / 'none.pth')
    with pytest.raises(FileNotFoundError, match='none.pth'):
        init_model(QUICKSTART, missing, device='cpu')
    with pytest.raises(FileNotFoundError, match='nothing.py'):
        init_model(str(tmp_path / 'nothing.py'))
