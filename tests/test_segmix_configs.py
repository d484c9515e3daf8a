"""SegMix's recipe configs: Table 2's trainval fine-tuning starts from its train_aug
run and reads VOC 2012 trainval; the quickstart Binding-CM at Binding-CC's δ draws
δ ~ U[0.7, 1] with no γ rule."""

import glob
import os.path as osp
from pathlib import Path

import pytest
from mmengine.config import Config

ROOT = Path(__file__).resolve().parents[1]
TRAINVAL = sorted(glob.glob(str(ROOT / 'configs' / 'segmix' / '*_voc12trainval-513x513.py')))


def test_every_table2_row_has_a_trainval_config():
    names = {osp.basename(p).split('_')[0] for p in TRAINVAL}
    assert names == {
        'deeplabv3',
        'deeplabv3-mixup',
        'deeplabv3-cutmix',
        'binding-cc-dn',
        'binding-cm-dn',
    }


@pytest.mark.slow  # reads two VOC configs each
@pytest.mark.parametrize('path', TRAINVAL, ids=osp.basename)
def test_trainval_config_fine_tunes_its_train_aug_run_on_trainval(path):
    cfg = Config.fromfile(path)
    source = osp.basename(path).replace('voc12trainval', 'voc12aug')
    assert cfg.load_from == f'work_dirs/{osp.splitext(source)[0]}/epoch_50.pth'
    dataset = cfg.train_dataloader.dataset
    assert dataset.ann_file == 'ImageSets/Segmentation/trainval.txt'
    assert dataset.data_prefix.seg_map_path == 'SegmentationClass'
    base = Config.fromfile(str(ROOT / 'configs' / 'segmix' / source))
    assert cfg.optim_wrapper == base.optim_wrapper  # the same recipe, other data
    assert cfg.model == base.model


def test_quickstart_cm_at_cc_delta_changes_only_delta_and_gamma():
    cm = Config.fromfile(str(ROOT / 'configs' / 'quickstart' / 'segmix_cm_synthvoc.py'))
    uniform = Config.fromfile(
        str(ROOT / 'configs' / 'quickstart' / 'segmix_cm_uniform_delta_synthvoc.py')
    )
    (mix,) = uniform.model.data_preprocessor.batch_augments
    assert mix.delta_range == (0.7, 1.0) and mix.gamma is None
    (shipped,) = cm.model.data_preprocessor.batch_augments
    assert {k: v for k, v in mix.items() if k not in ('delta_range', 'gamma', 'alpha')} == {
        k: v for k, v in shipped.items() if k not in ('dominant_weight', 'gamma', 'alpha')
    }
    uniform.model.data_preprocessor.pop('batch_augments')
    cm.model.data_preprocessor.pop('batch_augments')
    assert uniform.model == cm.model and uniform.train_cfg == cm.train_cfg
