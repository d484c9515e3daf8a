"""Tests of the synthetic VOC-layout dataset generator and its command line."""

import dataclasses
import hashlib
import importlib.util
import json
import os
import os.path as osp
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from wsss_mm.datasets import synthetic_voc as sv

REPO_ROOT = Path(__file__).resolve().parents[2]


def _load_tool():
    """Imports tools/make_synthetic_voc.py as a module."""
    spec = importlib.util.spec_from_file_location(
        'make_synthetic_voc_tool', str(REPO_ROOT / 'tools' / 'make_synthetic_voc.py')
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


tool = _load_tool()


def _read_split(root, split):
    with open(osp.join(root, 'ImageSets', 'Segmentation', f'{split}.txt')) as f:
        return f.read().split()


def _all_files(root):
    """Relative path -> bytes of every file under ``root``."""
    files = {}
    for folder, _, names in os.walk(root):
        for name in names:
            path = osp.join(folder, name)
            with open(path, 'rb') as f:
                files[osp.relpath(path, root)] = f.read()
    return files


@pytest.fixture(scope='module')
def synth_set(tmp_path_factory):
    """A 300 train + 20 val set of 64 x 64 images and its summary."""
    root = str(tmp_path_factory.mktemp('synthvoc'))
    return root, sv.make_synthetic_voc(root, 300, 20, size=64, seed=0)


@pytest.fixture(scope='module')
def train_labels(synth_set):
    """Set of class ids of every train image, read from the masks."""
    root, _ = synth_set
    labels = []
    for image_id in _read_split(root, 'train'):
        values = np.unique(
            np.array(Image.open(osp.join(root, 'SegmentationClass', f'{image_id}.png')))
        )
        labels.append({int(v) for v in values} - {0, sv.IGNORE_INDEX})
    return labels


def test_layout_and_formats(synth_set):
    root, summary = synth_set
    train, val = _read_split(root, 'train'), _read_split(root, 'val')
    assert train == [f'synth_{i:06d}' for i in range(300)]
    assert val == [f'synth_{i:06d}' for i in range(300, 320)]
    assert _read_split(root, 'trainval') == train + val
    assert sorted(os.listdir(osp.join(root, 'JPEGImages'))) == [f'{i}.jpg' for i in train + val]
    assert sorted(os.listdir(osp.join(root, 'SegmentationClass'))) == [
        f'{i}.png' for i in train + val
    ]
    palette = sv.voc_palette()
    assert palette[:9] == [0, 0, 0, 128, 0, 0, 0, 128, 0]
    assert palette[3 * 255 :] == [224, 224, 192]
    for image_id in (train[0], val[-1]):
        image = Image.open(osp.join(root, 'JPEGImages', f'{image_id}.jpg'))
        assert (image.format, image.mode, image.size) == ('JPEG', 'RGB', (64, 64))
        mask = Image.open(osp.join(root, 'SegmentationClass', f'{image_id}.png'))
        assert (mask.format, mask.mode, mask.size) == ('PNG', 'P', (64, 64))
        assert mask.getpalette() == palette
        values = set(np.unique(np.array(mask)).tolist())
        assert 0 in values and sv.IGNORE_INDEX in values
        assert values - {0, sv.IGNORE_INDEX} and values <= set(range(21)) | {255}
    with open(osp.join(root, sv.MARKER_FILE)) as f:
        assert json.load(f) == summary
    assert sv.is_synthetic_voc_dir(root)
    assert summary['num_objects'] == sum(summary['class_counts'].values())
    assert list(summary['class_counts']) == list(sv.VOC_CLASSES[1:])
    leftovers = [name for _, _, names in os.walk(root) for name in names if name.endswith('.tmp')]
    assert not leftovers


def test_deterministic_for_a_seed(tmp_path):
    kwargs = dict(num_train=3, num_val=2, size=64)
    sv.make_synthetic_voc(str(tmp_path / 'a'), seed=3, **kwargs)
    sv.make_synthetic_voc(str(tmp_path / 'b'), seed=3, **kwargs)
    sv.make_synthetic_voc(str(tmp_path / 'c'), seed=4, **kwargs)
    a, b, c = (_all_files(str(tmp_path / name)) for name in 'abc')
    assert a == b
    for name in ('JPEGImages/synth_000000.jpg', 'SegmentationClass/synth_000004.png'):
        assert a[name] != c[name]
    # A longer split starts with the same images; train and val differ.
    sv.make_synthetic_voc(str(tmp_path / 'd'), num_train=5, num_val=2, size=64, seed=3)
    d = _all_files(str(tmp_path / 'd'))
    assert d['JPEGImages/synth_000002.jpg'] == a['JPEGImages/synth_000002.jpg']
    assert len({a[f'JPEGImages/synth_00000{i}.jpg'] for i in range(5)}) == 5


def test_rerun_removes_stale_images_only(tmp_path):
    root = str(tmp_path)
    sv.make_synthetic_voc(root, 4, 2, size=64)
    (tmp_path / 'JPEGImages' / 'mine.jpg').write_bytes(b'x')
    sv.make_synthetic_voc(root, 2, 1, size=64)
    assert sorted(os.listdir(tmp_path / 'JPEGImages')) == [
        'mine.jpg',
        'synth_000000.jpg',
        'synth_000001.jpg',
        'synth_000002.jpg',
    ]
    assert len(os.listdir(tmp_path / 'SegmentationClass')) == 3


@pytest.mark.parametrize(
    'kwargs, message',
    [
        (dict(num_train=0, num_val=1), 'num_train must be >= 1, got 0'),
        (dict(num_train=1, num_val=0), 'num_val must be >= 1, got 0'),
        (dict(num_train=1, num_val=1, size=63), 'size must be >= 64, got 63'),
        (dict(num_train=1, num_val=1, seed=-1), 'seed must be >= 0, got -1'),
    ],
)
def test_library_rejects_bad_arguments(tmp_path, kwargs, message):
    with pytest.raises(ValueError, match=message):
        sv.make_synthetic_voc(str(tmp_path), **kwargs)


def test_tables_are_consistent():
    assert sorted(sv.CLASS_PARTS) == sorted(sv.CLASS_SHAPES) == list(range(1, 21))
    assert len(set(sv.CLASS_PARTS.values())) == 20
    colours = np.array(sv.PART_COLOURS, float)
    distances = np.linalg.norm(colours[:, None] - colours[None], axis=-1)
    assert distances[~np.eye(len(colours), dtype=bool)].min() >= 127
    co = {frozenset(p) for p in sv.CO_OCCURRING_PAIRS}
    never = {frozenset(p) for p in sv.NEVER_PAIRS}
    assert not co & never
    assert all(len(p) == 2 for p in co | never)
    # Classes that share a part colour are not frequent companions.
    assert all(sv.CLASS_PARTS[a][0] != sv.CLASS_PARTS[b][0] for a, b in sv.CO_OCCURRING_PAIRS)
    # Distractors and backgrounds are dull: far from every (pure) part colour.
    assert sv.DISTRACTOR_SATURATION[1] <= 0.15 and sv.BACKGROUND_SATURATION[1] <= 0.3
    assert 50 < 255 * min(sv.DISTRACTOR_VALUE[0], sv.BACKGROUND_VALUE[0])
    assert 255 * max(sv.DISTRACTOR_VALUE[1], sv.BACKGROUND_VALUE[1]) < 200


def test_class_schedule_cooccurrence():
    schedule = sv.class_schedule(np.random.default_rng(0), 2000)
    assert len(schedule) == 2000
    assert all(1 <= len(classes) <= 3 for classes in schedule)
    images = [set(classes) for classes in schedule]
    count = {c: sum(c in s for s in images) for c in range(1, 21)}
    lifts = []
    for a, b in sv.CO_OCCURRING_PAIRS:
        both = sum({a, b} <= s for s in images)
        assert both >= 0.04 * min(count[a], count[b]), (a, b)
        lifts.append(both * len(images) / (count[a] * count[b]))
    assert np.mean(lifts) > 2
    for a, b in sv.NEVER_PAIRS:
        assert not any({a, b} <= s for s in images), (a, b)
    # A longer schedule starts with the shorter one.
    assert sv.class_schedule(np.random.default_rng(0), 150) == schedule[:150]


def test_dataset_labels(synth_set, train_labels):
    _, summary = synth_set
    assert all(labels and labels <= set(range(1, 21)) for labels in train_labels)
    never = [set(p) for p in sv.NEVER_PAIRS]
    assert not any(pair <= labels for pair in never for labels in train_labels)
    co_occurring = sum(
        any(set(p) <= labels for p in sv.CO_OCCURRING_PAIRS) for labels in train_labels
    )
    assert co_occurring >= 0.15 * len(train_labels)
    sizes = np.bincount([len(labels) for labels in train_labels], minlength=4)
    assert sizes[1] + sizes[2] > 0.75 * len(train_labels) and sizes[3] > 0
    assert min(summary['class_frequencies'].values()) >= 0.03


@pytest.mark.parametrize('seed', [1, 2])
def test_class_balance_of_300_images(seed):
    counts = np.bincount(
        np.concatenate(sv.class_schedule(np.random.default_rng(seed), 300)), minlength=21
    )[1:]
    assert counts.min() >= 0.03 * counts.sum()


def test_rendered_objects_and_parts():
    fractions = []
    for j in range(30):
        rng = np.random.default_rng([0, 0, 0, j])
        sample = sv.render_sample(rng, 128, sv.sample_classes(rng, j % 20 + 1))
        assert sample.image.shape == (128, 128, 3) and sample.image.dtype == np.uint8
        assert sample.label.shape == (128, 128) and sample.label.dtype == np.uint8
        assert 1 <= len(sample.classes) <= 3
        union = np.zeros((128, 128), bool)
        for cls, obj, part in zip(sample.classes, sample.object_masks, sample.part_masks):
            assert not (union & obj).any()
            union |= obj
            assert part.any() and not (part & ~obj).any()
            assert obj.sum() >= sv.MIN_VISIBLE_AREA * 128 * 128
            inner = np.isin(sample.label[obj], (cls, sv.IGNORE_INDEX))
            assert inner.all() and (sample.label[obj] == cls).mean() > 0.7
            fractions.append(part.sum() / obj.sum())
        assert set(np.unique(sample.label[~union]).tolist()) <= {0, sv.IGNORE_INDEX}
        # The ignore band: exactly the pixels within 1 px of an object boundary.
        instances = np.zeros((128, 128), np.uint8)
        for k, obj in enumerate(sample.object_masks):
            instances[obj] = k + 1
        kernel = np.ones((3, 3), np.uint8)
        band = cv2.dilate(instances, kernel) != cv2.erode(instances, kernel)
        assert np.array_equal(sample.label == sv.IGNORE_INDEX, band)
        # Parts carry their class colour (striped squares on about half their area).
        for cls, part in zip(sample.classes, sample.part_masks):
            colour = np.array(sv.PART_COLOURS[sv.CLASS_PARTS[cls][0]], float)
            error = np.abs(sample.image[part].astype(float) - colour).sum(axis=1)
            assert (error < 60).mean() > 0.4
    assert 0.04 < np.mean(fractions) < 0.15
    assert max(fractions) < 0.25


def _error(capsys):
    return capsys.readouterr().err


@pytest.mark.parametrize(
    'argv, words',
    [
        (['--num-train', '0', '--num-val', '1'], ['--num-train', '0']),
        (['--num-train', '2', '--num-val', '-1'], ['--num-val', '-1']),
        (['--num-train', '2', '--num-val', '1', '--size', '32'], ['--size', '32']),
        (['--num-train', 'many', '--num-val', '1'], ['--num-train', 'many']),
        (['--num-train', '2'], ['--num-val']),
    ],
)
def test_cli_rejects_bad_numbers(tmp_path, capsys, argv, words):
    with pytest.raises(SystemExit) as exc:
        tool.main([str(tmp_path / 'out')] + argv)
    assert exc.value.code == 2
    error = _error(capsys)
    assert all(word in error for word in words), error
    assert not (tmp_path / 'out').exists()


def test_cli_output_folder_guard(tmp_path, capsys):
    args = ['--num-train', '2', '--num-val', '1', '--size', '64']
    foreign = tmp_path / 'foreign'
    foreign.mkdir()
    (foreign / 'notes.txt').write_text('keep me')
    with pytest.raises(SystemExit):
        tool.main([str(foreign)] + args)
    error = _error(capsys)
    assert str(foreign) in error and '--overwrite' in error
    assert os.listdir(foreign) == ['notes.txt']

    a_file = tmp_path / 'file'
    a_file.write_text('x')
    with pytest.raises(SystemExit):
        tool.main([str(a_file)] + args)
    assert str(a_file) in _error(capsys)

    tool.main([str(foreign), '--overwrite'] + args)
    assert (foreign / 'notes.txt').read_text() == 'keep me'
    assert 'wrote 2 train + 1 val images' in capsys.readouterr().out
    # A folder that holds a synthetic set is rewritten without --overwrite.
    tool.main([str(foreign), '--seed', '1'] + args)
    out = capsys.readouterr().out
    assert len(out.strip().splitlines()) == 1 and 'seed 1' in out
    empty = tmp_path / 'empty'
    empty.mkdir()
    tool.main([str(empty)] + args)
    assert sv.is_synthetic_voc_dir(str(empty))


def test_module_needs_only_numpy_pil_opencv():
    """Besides those, only the COCO layout's constants, a module that imports nothing."""
    with open(sv.__file__) as f:
        source = f.read()
    imports = {
        line.split()[1] if line.split()[1].startswith('.') else line.split()[1].split('.')[0]
        for line in source.splitlines()
        if line.startswith(('import ', 'from '))
    }
    with open(osp.join(osp.dirname(sv.__file__), 'coco_layout.py')) as f:
        assert not [line for line in f if line.startswith(('import ', 'from '))]
    assert imports <= {
        '.coco_layout',
        '__future__',
        'json',
        'os',
        're',
        'collections',
        'dataclasses',
        'cv2',
        'numpy',
        'PIL',
    }


def test_first_class_quota():
    schedule = sv.class_schedule(np.random.default_rng(5), sv.CLASS_BLOCK)
    firsts = np.bincount([classes[0] for classes in schedule], minlength=21)[1:]
    assert firsts.tolist() == list(sv.FIRST_CLASS_QUOTA)


# --------------------------------------------------------------------------- #
# Styles
# --------------------------------------------------------------------------- #
def _render_set(style, num=30, size=96):
    """``num`` samples of one class each (+ companions) rendered with ``style``."""
    samples = []
    for j in range(num):
        rng = np.random.default_rng([0, 9, j])
        samples.append(sv.render_sample(rng, size, sv.sample_classes(rng, j % 20 + 1), style))
    return samples


def _elongation(mask):
    """sqrt of the ratio of the second moments of a mask's pixels (1 for a disc)."""
    ys, xs = np.nonzero(mask)
    small, large = np.linalg.eigvalsh(np.cov(np.stack([xs, ys]).astype(float)))
    return np.sqrt(large / max(small, 1e-6))


def _background_edge_density(sample):
    """Share of background pixels (3+ px from any object) on a sharp edge."""
    grey = cv2.GaussianBlur(sample.image.astype(np.float32), (5, 5), 1.5).mean(axis=2)
    magnitude = np.hypot(cv2.Sobel(grey, cv2.CV_32F, 1, 0), cv2.Sobel(grey, cv2.CV_32F, 0, 1))
    background = cv2.erode((sample.label == 0).astype(np.uint8), np.ones((7, 7), np.uint8))
    return (magnitude[background.astype(bool)] > 40).mean()


def test_default_style_changes_nothing(tmp_path):
    assert sv.SyntheticStyle() == sv.DEFAULT_STYLE and sv.DEFAULT_STYLE.is_default()
    for j in range(4):
        classes = [j % 20 + 1, (7 * j) % 20 + 1]
        a = sv.render_sample(np.random.default_rng([2, j]), 64, classes)
        b = sv.render_sample(np.random.default_rng([2, j]), 64, classes, sv.SyntheticStyle())
        assert np.array_equal(a.image, b.image) and np.array_equal(a.label, b.label)
    schedule = sv.class_schedule(np.random.default_rng(3), 120)
    assert schedule == sv.class_schedule(np.random.default_rng(3), 120, sv.SyntheticStyle())
    # All 20 classes as a subset are the default.
    everything = sv.SyntheticStyle(classes=tuple(range(20, 0, -1)))
    assert everything.classes is None
    assert sv.class_schedule(np.random.default_rng(3), 120, everything) == schedule
    kwargs = dict(num_train=3, num_val=1, size=64, seed=2)
    summary = sv.make_synthetic_voc(str(tmp_path / 'a'), **kwargs)
    sv.make_synthetic_voc(str(tmp_path / 'b'), style=sv.SyntheticStyle(), **kwargs)
    assert _all_files(str(tmp_path / 'a')) == _all_files(str(tmp_path / 'b'))
    assert summary['style'] == dict(object_scale=1.0, thin_fraction=0.0, classes=None, clutter=1.0)


def test_class_subset_set(tmp_path):
    root = str(tmp_path)
    subset = {5, 9, 12, 15}
    summary = sv.make_synthetic_voc(
        root, 50, 10, size=64, seed=0, style=sv.SyntheticStyle(classes=(15, 12, 9, 5))
    )
    assert summary['style']['classes'] == [5, 9, 12, 15]
    with open(osp.join(root, sv.MARKER_FILE)) as f:
        assert json.load(f) == summary
    seen = set()
    for image_id in _read_split(root, 'trainval'):
        values = set(
            np.unique(
                np.array(Image.open(osp.join(root, 'SegmentationClass', f'{image_id}.png')))
            ).tolist()
        )
        assert values <= subset | {0, sv.IGNORE_INDEX}, (image_id, values)
        seen |= values
    assert seen >= subset
    assert sum(summary['class_counts'][sv.VOC_CLASSES[c]] for c in subset) == summary['num_objects']


@pytest.mark.parametrize('subset', [(1, 2), (9, 15), (3, 8, 12, 17, 19), tuple(range(2, 20))])
def test_class_subset_schedule(subset):
    style = sv.SyntheticStyle(classes=subset)
    schedule = sv.class_schedule(np.random.default_rng(0), 200, style)
    assert len(schedule) == 200 and all(1 <= len(classes) <= 3 for classes in schedule)
    counts = np.bincount(np.concatenate(schedule), minlength=21)
    assert set(np.flatnonzero(counts).tolist()) == set(subset)
    images = [set(classes) for classes in schedule]
    for a, b in sv.NEVER_PAIRS:
        assert not any({a, b} <= s for s in images), (a, b)
    if subset == (1, 2):
        # Aeroplane and bicycle never co-occur: one class per image.
        assert all(len(s) == 1 for s in images)


def test_class_subset_without_companions_stops():
    # Neither aeroplane nor bicycle can join a chair: the chair stays alone.
    style = sv.SyntheticStyle(classes=(1, 2))
    assert all(sv.sample_classes(np.random.default_rng(s), 9, style) == [9] for s in range(20))


def test_object_scale_shrinks_objects():
    def stats(style):
        samples = _render_set(style)
        areas = [m.sum() for s in samples for m in s.object_masks]
        shapes = {sv.CLASS_SHAPES[c] for s in samples for c in s.classes}
        return np.mean(areas), len(areas), shapes

    default_area, default_count, _ = stats(sv.SyntheticStyle())
    small_area, small_count, _ = stats(sv.SyntheticStyle(object_scale=0.5))
    assert small_area < 0.45 * default_area
    # Tiny objects are still placed: the minimum visible area scales too.
    _, tiny_count, tiny_shapes = stats(sv.SyntheticStyle(object_scale=0.3))
    assert min(small_count, tiny_count) >= 0.9 * default_count
    assert tiny_shapes == set(sv.CLASS_SHAPES.values())


def test_thin_fraction_elongates_objects():
    default = [_elongation(m) for s in _render_set(sv.SyntheticStyle()) for m in s.object_masks]
    thin_samples = _render_set(sv.SyntheticStyle(thin_fraction=1.0))
    thin = [_elongation(m) for s in thin_samples for m in s.object_masks]
    assert np.mean(default) < 2.0 and np.mean(thin) > 3.0
    assert all(part.any() for s in thin_samples for part in s.part_masks)


def test_clutter_changes_background():
    density = {
        clutter: [
            _background_edge_density(s)
            for s in _render_set(sv.SyntheticStyle(clutter=clutter), num=12)
        ]
        for clutter in (0.0, 1.0, 3.0)
    }
    assert max(density[0.0]) < 0.005
    assert np.mean(density[0.0]) < np.mean(density[1.0]) < np.mean(density[3.0])
    assert np.mean(density[3.0]) > 0.06 and np.mean(density[3.0]) > 2 * np.mean(density[1.0])


def test_clutter_ranges():
    assert sv._distractor_ranges(1.0) == (
        sv.DISTRACTOR_COUNT,
        sv.DISTRACTOR_EXTENT,
        sv.DISTRACTOR_SATURATION,
    )
    assert sv._distractor_ranges(0.0)[0] == (0, 0)
    count, extent, saturation = sv._distractor_ranges(3.0)
    assert count == (9, 24)
    assert extent == pytest.approx((0.05 * np.sqrt(3), 0.12 * np.sqrt(3)))
    assert saturation == pytest.approx((0.0, 0.45))
    _, extent, saturation = sv._distractor_ranges(100.0)
    assert extent == (0.25, 0.25) and saturation[1] == 0.6


@pytest.mark.parametrize(
    'kwargs, words',
    [
        (dict(object_scale=0), ['object_scale', '> 0', 'got 0']),
        (dict(object_scale=1.9), ['object_scale', '<= 1.8', 'got 1.9']),
        (dict(object_scale=float('nan')), ['object_scale', 'got nan']),
        (dict(thin_fraction=-0.1), ['thin_fraction', '[0, 1]', 'got -0.1']),
        (dict(thin_fraction=1.5), ['thin_fraction', '[0, 1]', 'got 1.5']),
        (dict(classes=(5,)), ['classes', 'at least 2', 'got (5,)']),
        (dict(classes=(0, 5)), ['classes', '1..20', 'got (0, 5)']),
        (dict(classes=(5, 21)), ['classes', '1..20', 'got (5, 21)']),
        (dict(classes=(5, 5)), ['classes', 'distinct', 'got (5, 5)']),
        (dict(classes='dog cat'), ['classes', "got 'dog cat'"]),
        (dict(clutter=-1), ['clutter', '>= 0', 'got -1']),
        (dict(clutter='2'), ['clutter', "got '2'"]),
    ],
)
def test_style_rejects_bad_values(kwargs, words):
    with pytest.raises(ValueError) as exc:
        sv.SyntheticStyle(**kwargs)
    assert all(word in str(exc.value) for word in words), str(exc.value)


def test_style_is_frozen_and_normalised(tmp_path):
    style = sv.SyntheticStyle(object_scale=1, classes=[np.int64(12), 5])
    assert style.classes == (5, 12) and isinstance(style.object_scale, float)
    assert hash(style) == hash(sv.SyntheticStyle(object_scale=1.0, classes=(12, 5)))
    with pytest.raises(dataclasses.FrozenInstanceError):
        style.clutter = 2.0
    with pytest.raises(TypeError, match='style must be a SyntheticStyle'):
        sv.make_synthetic_voc(str(tmp_path), 1, 1, size=64, style={'clutter': 2.0})


@pytest.mark.parametrize(
    'argv, words',
    [
        (['--object-scale', '0'], ['--object-scale', '> 0 and <= 1.8', 'got 0']),
        (['--object-scale', '2'], ['--object-scale', '> 0 and <= 1.8', 'got 2']),
        (['--object-scale', 'big'], ['--object-scale', "'big'"]),
        (['--thin-fraction', '1.5'], ['--thin-fraction', '>= 0 and <= 1', 'got 1.5']),
        (['--thin-fraction', '-0.5'], ['--thin-fraction', '>= 0 and <= 1', 'got -0.5']),
        (['--classes', 'dog'], ['--classes', 'at least 2']),
        (['--classes', 'dog', 'unicorn'], ['--classes', "'unicorn'", 'aeroplane', 'tvmonitor']),
        (['--classes', 'background', 'dog'], ['--classes', "'background'", 'valid names']),
        (['--classes', 'dog', 'cat', 'dog'], ['--classes', 'twice', 'dog']),
        (['--clutter', '-1'], ['--clutter', '>= 0', 'got -1']),
        (['--clutter', 'inf'], ['--clutter', '>= 0', 'got inf']),
    ],
)
def test_cli_rejects_bad_style(tmp_path, capsys, argv, words):
    with pytest.raises(SystemExit) as exc:
        tool.main([str(tmp_path / 'out'), '--num-train', '2', '--num-val', '1'] + argv)
    assert exc.value.code == 2
    error = _error(capsys)
    assert all(word in error for word in words), error
    assert not (tmp_path / 'out').exists()


def test_cli_style_options(tmp_path, capsys):
    out = tmp_path / 'out'
    tool.main(
        [
            str(out),
            '--num-train',
            '3',
            '--num-val',
            '1',
            '--size',
            '64',
            '--object-scale',
            '0.5',
            '--thin-fraction',
            '0.5',
            '--classes',
            'dog',
            'bottle',
            '--clutter',
            '2',
        ]
    )
    line = capsys.readouterr().out
    for words in ('object scale 0.5', 'thin fraction 0.5', 'classes bottle/dog', 'clutter 2'):
        assert words in line, line
    with open(out / sv.MARKER_FILE) as f:
        assert json.load(f)['style'] == dict(
            object_scale=0.5, thin_fraction=0.5, classes=[5, 12], clutter=2.0
        )
    tool.main([str(tmp_path / 'plain'), '--num-train', '2', '--num-val', '1', '--size', '64'])
    line = capsys.readouterr().out
    assert '(seed 0)' in line and 'scale' not in line and 'clutter' not in line


@pytest.fixture(scope='module')
def coco_set(tmp_path_factory):
    """A 40 train + 6 val COCO-layout set of 64 x 64 images and its summary."""
    root = str(tmp_path_factory.mktemp('synthcoco'))
    return root, sv.make_synthetic_voc(root, 40, 6, size=64, seed=0, layout='coco')


def test_coco_layout_files_lists_and_class_ids(coco_set):
    root, summary = coco_set
    from wsss_mm.datasets.coco_layout import COCO_CLASSES, COCO_PALETTE

    lists = {}
    for split, num in (('train', 40), ('val', 6)):
        with open(osp.join(root, f'{split}.txt')) as f:
            lists[split] = f.read().split()
        assert lists[split] == [f'COCO_{split}2014_{i:012d}' for i in range(num)]
        assert sorted(os.listdir(osp.join(root, f'{split}2014'))) == [
            f'{i}.jpg' for i in lists[split]
        ]
    assert sorted(os.listdir(root)) == [
        'SegmentationClass',
        'synthetic_voc.json',
        'train.txt',
        'train2014',
        'val.txt',
        'val2014',
    ]
    ids = set()
    for split in ('train', 'val'):
        for image_id in lists[split]:
            mask = Image.open(
                osp.join(root, 'SegmentationClass', f'{split}2014', f'{image_id}.png')
            )
            assert mask.mode == 'P' and mask.size == (64, 64)
            assert mask.getpalette()[: 3 * 81] == [c for rgb in COCO_PALETTE for c in rgb]
            ids |= set(np.unique(np.array(mask)).tolist())
    assert ids <= set(range(81)) | {255} and max(ids - {255}) > 20
    assert summary['layout'] == 'coco'
    assert list(summary['class_counts']) == list(COCO_CLASSES[1:])
    assert sum(summary['class_counts'].values()) == summary['num_objects']
    image = Image.open(osp.join(root, 'train2014', lists['train'][0] + '.jpg'))
    assert image.mode == 'RGB' and image.size == (64, 64)


def test_coco_set_is_reproducible_and_shrinks(coco_set, tmp_path):
    root, summary = coco_set
    again = str(tmp_path / 'again')
    assert sv.make_synthetic_voc(again, 40, 6, size=64, seed=0, layout='coco') == summary
    assert _all_files(again) == _all_files(root)
    sv.make_synthetic_voc(again, 3, 2, size=64, seed=0, layout='coco')
    assert len(os.listdir(osp.join(again, 'train2014'))) == 3
    assert len(os.listdir(osp.join(again, 'SegmentationClass', 'val2014'))) == 2


def test_each_coco_class_has_its_own_look():
    looks = {sv.class_appearance(c, 'coco') for c in range(1, 81)}
    assert len(looks) == 80
    assert {look for look, _ in looks} == set(range(1, 21))
    for c in range(1, 21):
        assert sv.class_appearance(c, 'coco') == sv.class_appearance(c, 'voc')
        assert sv.class_appearance(c, 'voc') == (c, sv.CLASS_SHAPES[c])


def test_coco_layout_errors(tmp_path):
    with pytest.raises(ValueError, match='layout must be one of'):
        sv.make_synthetic_voc(str(tmp_path), 1, 1, size=64, layout='ade')
    with pytest.raises(ValueError, match='not available with layout coco'):
        sv.make_synthetic_voc(
            str(tmp_path), 1, 1, size=64, style=sv.SyntheticStyle(classes=(1, 2)), layout='coco'
        )


def test_command_line_writes_the_coco_layout(tmp_path, capsys):
    out = tmp_path / 'coco'
    tool.main([str(out), '--num-train', '2', '--num-val', '1', '--size', '64', '--layout', 'coco'])
    assert 'in the COCO layout' in capsys.readouterr().out
    assert sorted(os.listdir(out / 'SegmentationClass')) == ['train2014', 'val2014']
    with pytest.raises(SystemExit):
        tool.main(
            [str(out), '--num-train', '2', '--num-val', '1', '--layout', 'coco']
            + ['--classes', 'dog', 'cat']
        )
    assert '--layout coco' in _error(capsys)


def test_default_set_is_byte_identical_to_before_the_regime_option(tmp_path):
    """The images, masks and summary of the default set are those the generator made
    before ``regime`` existed (hashes taken then): the option changes nothing by default."""
    digest = hashlib.sha256()
    schedule = sv.class_schedule(np.random.default_rng([0, 0, 1]), 6)
    for j, classes in enumerate(schedule):
        sample = sv.render_sample(np.random.default_rng([0, 0, 0, j]), 64, classes)
        digest.update(sample.image.tobytes())
        digest.update(sample.label.tobytes())
    assert digest.hexdigest() == (
        '3b4d06b18216518753de95d537385cc70d3a55c79cd4a49534973258e1663e48'
    )
    sv.make_synthetic_voc(str(tmp_path), 4, 2, size=64, seed=0)
    with open(tmp_path / sv.MARKER_FILE, 'rb') as f:
        assert hashlib.sha256(f.read()).hexdigest() == (
            'd3addec92f37d79915a7b309f217fd2d1579996751c090e94cce9edfc2cf8e39'
        )


def _bodies(monkeypatch, style, cls, num=40):
    """Shape names and mean body hues (radians) of ``num`` objects of class ``cls``."""
    shapes, hues = [], []
    place = sv._place_shape

    def record(rng, shape, *args, **kwargs):
        shapes.append(shape)
        return place(rng, shape, *args, **kwargs)

    monkeypatch.setattr(sv, '_place_shape', record)
    for j in range(num):
        obj = sv._sample_object(np.random.default_rng([5, j]), cls, 128, style)
        body = obj.rgb[obj.mask & ~obj.part_mask].mean(axis=0).astype(np.float32)
        hues.append(float(cv2.cvtColor((body / 255.0)[None, None], cv2.COLOR_RGB2HSV)[0, 0, 0]))
    monkeypatch.undo()
    return shapes, np.radians(hues)


def test_parts_regime_gives_every_class_the_same_bodies(monkeypatch):
    parts = sv.SyntheticStyle(regime='parts')
    for cls in (1, 12):
        default_shapes, default_hues = _bodies(monkeypatch, sv.DEFAULT_STYLE, cls)
        parts_shapes, parts_hues = _bodies(monkeypatch, parts, cls)
        assert set(default_shapes) == {sv.CLASS_SHAPES[cls]}
        assert set(parts_shapes) == set(sv.SHAPES)
        # resultant length of the hues: concentrated around the class's hue by default,
        # spread over the circle in the parts regime
        assert np.abs(np.exp(1j * default_hues).mean()) > 0.6
        assert np.abs(np.exp(1j * parts_hues).mean()) < 0.35
    # the part still names the class
    rng = np.random.default_rng(3)
    sample = sv.render_sample(rng, 128, [1, 12], parts)
    for cls, part in zip(sample.classes, sample.part_masks):
        colour = np.array(sv.PART_COLOURS[sv.CLASS_PARTS[cls][0]], float)
        assert (np.abs(sample.image[part].astype(float) - colour).sum(axis=1) < 60).mean() > 0.4


def test_parts_regime_set_and_command_line(tmp_path, capsys):
    out = tmp_path / 'parts'
    tool.main([str(out), '--num-train', '3', '--num-val', '1', '--size', '64', '--regime', 'parts'])
    assert 'regime parts' in capsys.readouterr().out
    with open(out / sv.MARKER_FILE) as f:
        assert json.load(f)['style']['regime'] == 'parts'
    default = tmp_path / 'default'
    sv.make_synthetic_voc(str(default), 3, 1, size=64)
    parts, plain = _all_files(str(out)), _all_files(str(default))
    assert (
        parts['SegmentationClass/synth_000000.png'] != plain['SegmentationClass/synth_000000.png']
    )
    assert 'regime' not in sv.DEFAULT_STYLE.to_dict()
    with pytest.raises(ValueError, match="regime must be one of \\('default', 'parts'\\)"):
        sv.SyntheticStyle(regime='wholes')
    with pytest.raises(ValueError, match='VOC-only'):
        sv.make_synthetic_voc(
            str(tmp_path / 'coco'),
            1,
            1,
            size=64,
            style=sv.SyntheticStyle(regime='parts'),
            layout='coco',
        )
    with pytest.raises(SystemExit):
        tool.main(
            [
                str(tmp_path / 'c'),
                '--num-train',
                '1',
                '--num-val',
                '1',
                '--layout',
                'coco',
                '--regime',
                'parts',
            ]
        )
    assert '--regime' in _error(capsys) and not (tmp_path / 'c').exists()
