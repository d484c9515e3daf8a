"""The CAM gallery (tools/analysis_tools/cam_gallery.py, wsss_mm.apis.cam_gallery):
the page's structure (rows, columns, the mIoU table with eval_cams' numbers), its
inputs' checks, and a headless-Chromium screenshot that is not blank."""

import json
import os
import os.path as osp
import shutil
import subprocess
from html.parser import HTMLParser

import cv2
import numpy as np
import pytest

from wsss_mm.apis.cam_gallery import build_gallery, parse_sources, sort_images
from wsss_mm.apis.eval_cams import eval_cams
from wsss_mm.datasets.voc_layout import find_mask
from wsss_mm.evaluation import ReadLabelMap, evaluate_label_maps
from wsss_mm.refine.pseudo_labels import save_label_map
from wsss_mm.utils.io import read_mask, read_split

SPLIT = 'ImageSets/Segmentation/val.txt'


class GalleryParser(HTMLParser):
    """The cells of every table, by the table's class: ``{class: {'head': [th
    texts], 'rows': [(tr attributes, [td attributes and inner tags])]}}``, and
    every ``<img src>``."""

    def __init__(self):
        super().__init__()
        self.tables, self.images = {}, []
        self.table = self.row = None
        self.in_th = False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == 'table':
            self.table = self.tables.setdefault(attrs.get('class'), dict(head=[], rows=[]))
        elif tag == 'th':
            self.in_th = True
            self.table['head'].append('')
        elif tag == 'tr' and attrs:
            self.row = (attrs, [])
            self.table['rows'].append(self.row)
        elif tag == 'td' and self.row is not None:
            self.row[1].append([])
        elif self.row is not None and self.row[1]:
            self.row[1][-1].append((tag, attrs))
        if tag == 'img':
            self.images.append(attrs['src'])

    def handle_endtag(self, tag):
        if tag == 'th':
            self.in_th = False
        elif tag == 'tr':
            self.row = None

    def handle_data(self, data):
        if self.in_th:
            self.table['head'][-1] += data


def parse(path):
    parser = GalleryParser()
    with open(path, encoding='utf-8') as f:
        parser.feed(f.read())
    return parser


@pytest.fixture(scope='module')
def gallery_dirs(synth_root, tmp_path_factory, write_gt_cams):
    """Two CAM folders (sharp and blurred ground-truth CAMs) and a label-map folder
    (the ground truth with a band eroded to background) of the val split."""
    root = tmp_path_factory.mktemp('gallery')
    ids = read_split(osp.join(synth_root, SPLIT))
    sharp, blurred, masks = (str(root / n) for n in ('sharp', 'blurred', 'masks'))
    write_gt_cams(synth_root, sharp, ids, sigma=1.0)
    write_gt_cams(synth_root, blurred, ids, sigma=8.0)
    for img_id in ids:
        gt = read_mask(find_mask([osp.join(synth_root, 'SegmentationClass')], img_id))
        fg = cv2.erode((gt > 0).astype(np.uint8), np.ones((5, 5), np.uint8))
        save_label_map(osp.join(masks, img_id + '.png'), np.where(fg > 0, gt, 0))
    return dict(sharp=sharp, blurred=blurred, masks=masks)


@pytest.fixture(scope='module')
def gallery(synth_root, gallery_dirs, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('report') / 'report.html')
    sources = parse_sources([f'{name}={path}' for name, path in gallery_dirs.items()])
    result = build_gallery(sources, synth_root, out, split=SPLIT, num=5, thumb_size=64)
    return out, result


def test_folders_are_detected_as_cam_files_or_label_maps(gallery_dirs):
    sources = parse_sources([f'{name}={path}' for name, path in gallery_dirs.items()])
    assert [s.kind for s in sources] == ['cams', 'cams', 'masks']


def test_page_has_a_row_per_image_and_a_column_per_method(gallery, gallery_dirs):
    out, result = gallery
    page = parse(out)
    table = page.tables['gallery']
    assert table['head'] == ['image', 'ground truth', 'sharp', 'blurred', 'masks']
    assert len(table['rows']) == 5 == result['num_images']
    for attrs, cells in table['rows']:
        assert 'data-image' in attrs and len(cells) == 5
        # each CAM column: one overlay per class of the CAM file; the mask column: one map
        for cell, name in zip(cells[2:], ['sharp', 'blurred', 'masks']):
            assert ('div', {'data-method': name}) in cell
            figures = [a for tag, a in cell if tag == 'figure']
            keys = np.load(osp.join(gallery_dirs['sharp'], attrs['data-image'] + '.npz'))['keys']
            assert len(figures) == (len(keys) if name != 'masks' else 1)
    # self-contained: every image is embedded, nothing is fetched, no script
    assert page.images and all(src.startswith('data:image/') for src in page.images)
    with open(out, encoding='utf-8') as f:
        text = f.read()
    assert '<script' not in text and 'http' not in text


def test_summary_holds_the_numbers_of_eval_cams(gallery, gallery_dirs, synth_root):
    out, result = gallery
    rows = {attrs['data-method']: attrs for attrs, _ in parse(out).tables['summary']['rows']}
    assert list(rows) == ['sharp', 'blurred', 'masks']
    for name in ('sharp', 'blurred'):
        expected = eval_cams(gallery_dirs[name], synth_root, SPLIT)['cams']
        assert float(rows[name]['data-miou']) == pytest.approx(expected['miou'], abs=1e-3)
        assert float(rows[name]['data-threshold']) == pytest.approx(expected['threshold'])
        assert result['methods'][name] == dict(
            kind='cams', miou=round(expected['miou'], 2), threshold=expected['threshold']
        )
    ids = read_split(osp.join(synth_root, SPLIT))
    masks = evaluate_label_maps(ReadLabelMap(gallery_dirs['masks']), ids, synth_root)
    assert float(rows['masks']['data-miou']) == pytest.approx(masks['miou'], abs=1e-3)
    assert 'data-threshold' not in rows['masks'] and result['methods']['masks']['threshold'] is None
    # sharper CAMs score higher
    assert result['methods']['sharp']['miou'] > result['methods']['blurred']['miou']


def test_disagreement_sort_puts_the_widest_spread_first():
    mious = np.array([[0.5, 0.5], [0.9, 0.1], [0.2, 0.6], [0.1, 0.1]])
    assert sort_images(list('abcd'), mious, 'disagree') == [1, 2, 3, 0]
    assert sort_images(list('abcd'), mious, 'worst') == [3, 2, 0, 1]
    assert sort_images(list('abcd'), mious, 'best') == [0, 1, 2, 3]  # ties keep order
    assert sorted(sort_images(list('abcd'), mious, 'random')) == [0, 1, 2, 3]


def test_bad_inputs_are_named(synth_root, gallery_dirs, tmp_path):
    with pytest.raises(ValueError, match='"sharp" is not NAME=DIR'):
        parse_sources(['sharp'])
    with pytest.raises(FileNotFoundError, match='"x=/no/such/dir": folder not found'):
        parse_sources(['x=/no/such/dir'])
    with pytest.raises(ValueError, match='given twice'):
        parse_sources([f'a={gallery_dirs["sharp"]}', f'a={gallery_dirs["blurred"]}'])
    empty_dir = tmp_path / 'empty'
    empty_dir.mkdir()
    with pytest.raises(ValueError, match='holds neither CAM files'):
        parse_sources([f'e={empty_dir}'])
    sources = parse_sources([f'sharp={gallery_dirs["sharp"]}'])
    empty_split = tmp_path / 'empty.txt'
    empty_split.write_text('\n')
    with pytest.raises(ValueError, match=f'split file {empty_split} lists no image'):
        build_gallery(sources, synth_root, str(tmp_path / 'r.html'), split=str(empty_split))
    # the train split: images without a CAM file in the folder
    with pytest.raises(FileNotFoundError, match=r'sharp=.*: 24 of 24 images .* no CAM file'):
        build_gallery(sources, synth_root, str(tmp_path / 'r.html'))
    masks = parse_sources([f'm={gallery_dirs["masks"]}'])
    with pytest.raises(FileNotFoundError, match=r'm=.*: 24 of 24 images .* no label map'):
        build_gallery(masks, synth_root, str(tmp_path / 'r.html'))
    with pytest.raises(FileNotFoundError, match='data root not found: /no/root'):
        build_gallery(sources, '/no/root', str(tmp_path / 'r.html'))


def test_tool_prints_the_summary_as_its_last_line(synth_root, gallery_dirs, tmp_path, run_tool):
    out = str(tmp_path / 'report.html')
    proc = run_tool(
        'tools/analysis_tools/cam_gallery.py',
        '--cam-dirs',
        *[f'{name}={path}' for name, path in gallery_dirs.items()],
        *('--data-root', synth_root, '--split', SPLIT, '--num', '3', '--out', out),
    )
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary['out'] == out and summary['num_images'] == 3 and osp.isfile(out)
    assert list(summary['methods']) == ['sharp', 'blurred', 'masks']
    bad = run_tool(
        'tools/analysis_tools/cam_gallery.py',
        *('--cam-dirs', 'nodir', '--data-root', synth_root, '--out', out),
        check=False,
    )
    assert bad.returncode == 2
    assert 'cam_gallery.py: error: "nodir" is not NAME=DIR' in bad.stderr


def chromium():
    return shutil.which('chromium') or shutil.which('chromium-browser')


@pytest.mark.skipif(
    chromium() is None,
    reason='chromium not on PATH (apt-get install chromium, see CONTRIBUTING.md)',
)
def test_page_renders_in_headless_chromium(gallery, tmp_path):
    out, _ = gallery
    shot = str(tmp_path / 'shot.png')
    subprocess.run(
        [
            chromium(),
            '--headless',
            '--no-sandbox',
            '--disable-gpu',
            '--hide-scrollbars',
            f'--screenshot={shot}',
            '--window-size=1000,800',
            'file://' + osp.abspath(out),
        ],
        capture_output=True,
        timeout=120,
        check=False,
        env=dict(os.environ, HOME=str(tmp_path)),
    )
    img = cv2.imread(shot)
    assert img is not None, f'chromium wrote no screenshot {shot}'
    assert img.shape[:2] == (800, 1000)
    # the embedded images rendered: many colours, far from a blank page
    assert img.std() > 30
    assert len(np.unique(img.reshape(-1, 3), axis=0)) > 500


def test_pipeline_gallery_shows_the_folders_of_its_stages(
    synth_root, tmp_path, write_gt_cams, repo_root
):
    from wsss_mm.apis.pipeline import PipelineContext, write_gallery

    config = osp.join(repo_root, 'configs', 'quickstart', 'pipeline_synthvoc.py')
    ctx = PipelineContext(config, str(tmp_path / 'work'), synth_root)
    assert write_gallery(ctx) == []  # nothing written yet
    _, _, ids = ctx.cam_split()
    write_gt_cams(synth_root, ctx.path('cams'), ids, sigma=2.0)
    for img_id in ids:
        gt = read_mask(find_mask([osp.join(synth_root, 'SegmentationClass')], img_id))
        save_label_map(ctx.path('pseudo_masks', img_id + '.png'), gt)
        save_label_map(ctx.path('crf_seeds', img_id + '.png'), gt)
    val_ids = open(osp.join(synth_root, 'ImageSets/Segmentation/val.txt')).read().split()
    for img_id in val_ids:  # the segmentation network's test predictions
        gt = read_mask(find_mask([osp.join(synth_root, 'SegmentationClass')], img_id))
        save_label_map(ctx.path('seg_preds', img_id + '.png'), gt)
    out, out_val = write_gallery(ctx, num=4)
    assert (out, out_val) == (ctx.path('gallery.html'), ctx.path('gallery_val.html'))
    val = parse(out_val)
    assert val.tables['gallery']['head'] == ['image', 'ground truth', 'segmentation network']
    assert len(val.tables['summary']['rows']) == 1
    page = parse(out)
    assert page.tables['gallery']['head'] == [
        'image',
        'ground truth',
        'seeds (CAMs)',
        'seeds + CRF',
        'pseudo masks',
    ]
    assert len(page.tables['gallery']['rows']) == 4
    rows = {a['data-method']: a for a, _ in page.tables['summary']['rows']}
    assert float(rows['pseudo masks']['data-miou']) == pytest.approx(100.0)
