"""SegMix's Binding-CM quickstart end to end through the tools: the co-occurrence
matrix, one tiny tools/train.py run (Eq. 5's three terms logged), then tools/test.py
--tta on its checkpoint (S_fb, multi-scale + flip)."""

import glob
import json
import os.path as osp
import shutil


def train_logs(work_dir):
    """The training iterations' logged scalars (MMEngine's vis_data/scalars.json)."""
    logs = [
        json.loads(line)
        for path in glob.glob(osp.join(work_dir, '*', 'vis_data', 'scalars.json'))
        for line in open(path)
    ]
    return [entry for entry in logs if 'loss' in entry]


def test_segmix_cm_quickstart_trains_and_tests(synth_root, tmp_path, run_tool, tiny_train_options):
    cooc = str(tmp_path / 'cooc.npy')
    run_tool('tools/analysis_tools/cooccurrence.py', '--data-root', synth_root, '--out', cooc)
    config = 'configs/quickstart/segmix_cm_synthvoc.py'
    work_dir = str(tmp_path / 'work')
    loader = ['num_workers=0', 'persistent_workers=False']
    run_tool(
        'tools/train.py',
        config,
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *tiny_train_options,
        f'model.data_preprocessor.batch_augments.0.cooccurrence={cooc}',
        *[f'val_dataloader.{option}' for option in loader],
    )
    checkpoint = osp.join(work_dir, 'epoch_1.pth')
    assert osp.isfile(checkpoint)
    train = train_logs(work_dir)
    assert len(train) == 3  # 24 images, batch 8
    for entry in train:
        assert {'loss_t', 'loss_p', 'loss_fb'} <= set(entry)
        total = entry['loss_t'] + entry['loss_p'] + entry['loss_fb']
        assert abs(entry['loss'] - total) < 1e-3
    proc = run_tool(
        'tools/test.py',
        config,
        checkpoint,
        '--data-root',
        synth_root,
        '--work-dir',
        str(tmp_path / 'test'),
        '--tta',
        '--cfg-options',
        *[f'test_dataloader.{option}' for option in loader],
    )
    assert 'mIoU' in proc.stdout + proc.stderr


def test_binding_cc_trains_on_pseudo_masks(synth_root, tmp_path, run_tool, tiny_train_options):
    """The segmentation stage of segmix_pipeline_synthvoc.py: Binding-CC on a folder of
    pseudo masks, which the pipeline finds inside the ClusterMixDataset wrapper."""
    from wsss_mm.apis.train import load_config
    from wsss_mm.apis.train_seg import set_label_dir

    pipeline = load_config('configs/quickstart/segmix_pipeline_synthvoc.py').pipeline
    assert pipeline.seg_config == 'segmix_cc_pseudo_synthvoc.py'
    config = 'configs/quickstart/segmix_cc_pseudo_synthvoc.py'
    masks = tmp_path / 'pseudo_masks'
    masks.mkdir()
    for img_id in open(osp.join(synth_root, 'ImageSets/Segmentation/train.txt')).read().split():
        shutil.copy(osp.join(synth_root, 'SegmentationClass', f'{img_id}.png'), masks)
    cfg = load_config(config)
    set_label_dir(cfg, str(masks))
    assert cfg.train_dataloader.dataset.type == 'ClusterMixDataset'
    assert cfg.train_dataloader.dataset.dataset.mask_dir == str(masks)

    work_dir = str(tmp_path / 'work')
    run_tool(
        'tools/train.py',
        config,
        '--data-root',
        synth_root,
        '--work-dir',
        work_dir,
        '--cfg-options',
        *tiny_train_options,
        f'train_dataloader.dataset.dataset.mask_dir={masks}',
    )
    assert osp.isfile(osp.join(work_dir, 'epoch_1.pth'))
    train = train_logs(work_dir)
    assert train and all({'loss_t', 'loss_p', 'loss_fb'} <= set(entry) for entry in train)
    assert any(entry['loss_p'] > 0 for entry in train)  # blended pairs reach the phantom branch
