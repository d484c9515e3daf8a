"""The package layout: imports follow the data flow (datasets -> models -> cams ->
refine -> apis; evaluation and utils below them), old module paths are gone."""

import ast
import glob
import importlib.util
import os.path as osp

import pytest

import wsss_mm

#: the package's source folder, and the folder its module names are relative to
PACKAGE = osp.dirname(osp.abspath(wsss_mm.__file__))
SOURCE_ROOT = osp.dirname(PACKAGE)


def module_name(path):
    """``wsss_mm/models/utils/affinity.py`` -> ``wsss_mm.models.utils.affinity``."""
    rel = osp.relpath(path, SOURCE_ROOT)[: -len('.py')].replace(osp.sep, '.')
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
                bad.append(f'{osp.relpath(path, SOURCE_ROOT)}: {module}')
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
            allowed=[
                'wsss_mm.datasets.voc_layout',
                'wsss_mm.datasets.coco_layout',
                'wsss_mm.datasets.data_layout',
            ],
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


def test_moved_names_are_not_re_exported(repo_root):
    import wsss_mm.apis.eval_cams as eval_cams
    import wsss_mm.apis.label_maps as label_maps
    import wsss_mm.datasets.transforms as transforms
    import wsss_mm.refine as refine

    assert not hasattr(eval_cams, 'load_pair')
    for name in ('evaluate_label_maps', 'eval_label_dir', 'ReadLabelMap', 'has_ground_truth'):
        assert not hasattr(label_maps, name)
    assert not hasattr(transforms, 'complementary_pair')
    assert not hasattr(refine, 'dense_affinity')
    assert not osp.exists(osp.join(repo_root, 'tools', 'benchmark.py'))
