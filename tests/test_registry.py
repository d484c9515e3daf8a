"""Registries: children of mmseg's, holding wsss_mm's modules; downstream extension."""

import sys
import textwrap

import torch

import wsss_mm
from wsss_mm.registry import CAM_METHODS, DATASETS, MODELS, TRANSFORMS


def test_registries_are_children_of_mmseg():
    from mmseg.registry import MODELS as MMSEG_MODELS

    assert MODELS.parent is MMSEG_MODELS
    assert MODELS.scope == 'wsss_mm'
    wsss_mm.register_all_modules(init_default_scope=False)
    for registry, name in [
        (MODELS, 'CAMClassifier'),
        (MODELS, 'GAPClassifierHead'),
        (DATASETS, 'VOCClsDataset'),
        (TRANSFORMS, 'PackCAMInputs'),
        (CAM_METHODS, 'CAM'),
        (CAM_METHODS, 'GradCAM'),
    ]:
        assert registry.get(name) is not None, name


def test_downstream_package_registers_a_head(tmp_path, monkeypatch):
    pkg = tmp_path / 'my_wsss_ext'
    pkg.mkdir()
    (pkg / '__init__.py').write_text(
        textwrap.dedent('''
        import torch
        from wsss_mm.models.heads import GAPClassifierHead
        from wsss_mm.registry import MODELS

        @MODELS.register_module()
        class DoubledHead(GAPClassifierHead):
            """A downstream head: twice the CAM weights."""
            def cam_weights(self):
                return 2 * super().cam_weights()
    ''')
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    from mmengine.config import Config
    from mmengine.utils import import_modules_from_strings

    cfg = Config(
        dict(
            custom_imports=dict(imports=['my_wsss_ext'], allow_failed_imports=False),
            model=dict(
                type='CAMClassifier',
                backbone=dict(type='mmpretrain.ResNet', depth=18, out_indices=(3,)),
                head=dict(type='DoubledHead', in_channels=512, num_classes=5),
            ),
        )
    )
    import_modules_from_strings(**cfg.custom_imports)
    model = MODELS.build(cfg.model)
    assert type(model.head).__name__ == 'DoubledHead'
    assert torch.allclose(model.cam_weights(), 2 * model.head.classifier.weight.flatten(1))
    sys.modules.pop('my_wsss_ext', None)
    MODELS.module_dict.pop('DoubledHead')
