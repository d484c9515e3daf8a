"""ClusterMixDataset (SegMix Sec. 3.1.1) on a hand-made set: partners come from
other class clusters, δ lies in its range, the pairs repeat under a seed, and the
partner knob bounds the size."""

import numpy as np
import pytest
from PIL import Image

import wsss_mm
from wsss_mm.registry import DATASETS

# image id -> foreground classes of its mask (id 5: background only, in no cluster)
CLASSES = {0: [1], 1: [1], 2: [2], 3: [3], 4: [2, 3], 5: []}


@pytest.fixture(scope='module')
def tiny_root(tmp_path_factory):
    """Images of constant value 10 (i + 1); masks: the left column of class c for
    each class, the rest background, one ignore pixel. Image 5 is 6 x 6."""
    root = tmp_path_factory.mktemp('clustermix')
    (root / 'img').mkdir()
    (root / 'mask').mkdir()
    for i, classes in CLASSES.items():
        size = 6 if i == 5 else 8
        Image.fromarray(np.full((size, size, 3), 10 * (i + 1), np.uint8)).save(
            root / 'img' / f'{i}.png'
        )
        mask = np.zeros((size, size), np.uint8)
        for row, c in enumerate(classes):
            mask[row, 0] = c
        mask[-1, -1] = 255
        Image.fromarray(mask, mode='L').save(root / 'mask' / f'{i}.png')
    (root / 'split.txt').write_text(''.join(f'{i}\n' for i in CLASSES))
    return str(root)


def build(root, **options):
    wsss_mm.register_all_modules()
    inner = dict(
        type='PseudoMaskDataset',
        data_root=root,
        ann_file='split.txt',
        img_dir='img',
        img_suffix='.png',
        mask_dir='mask',
        pipeline=[dict(type='LoadImage'), dict(type='LoadMask')],
    )
    return DATASETS.build(
        dict(
            type='ClusterMixDataset',
            dataset=inner,
            pipeline=[dict(type='PackSegMixInputs')],
            **options,
        )
    )


def test_partners_come_from_other_clusters(tiny_root):
    dataset = build(tiny_root)
    # clusters 1: {0, 1}, 2: {2, 4}, 3: {3, 4}; every member x 2 other clusters
    assert len(dataset) == 6 * 2
    seen = set()
    for a, b, delta in dataset.pairs:
        assert a != b and 0.7 <= delta <= 1.0
        assert CLASSES[a] and CLASSES[b] and 5 not in (a, b)
        seen.add((a, b))
    # image 0 (cluster 1) is blended with one image of cluster 2 and one of cluster 3
    partners = [b for a, b, _ in dataset.pairs if a == 0]
    assert len(partners) == 2 and partners[0] in (2, 4) and partners[1] in (3, 4)


def test_sample_holds_the_blend_both_maps_and_delta(tiny_root):
    dataset = build(tiny_root, delta_range=(0.8, 0.9))
    a, b, delta = dataset.pairs[0]
    sample = dataset[0]
    inputs, data = sample['inputs'], sample['data_samples']
    assert inputs.shape == (3, 8, 8)
    expected = delta * 10 * (a + 1) + (1 - delta) * 10 * (b + 1)
    np.testing.assert_allclose(inputs.numpy(), expected, rtol=1e-5)
    assert data.mix_delta == delta and 0.8 <= delta <= 0.9
    assert data.phantom_img_path.endswith(f'{b}.png')
    own, phantom = data.gt_sem_seg.data[0], data.gt_phantom_seg.data[0]
    assert own[0, 0] == CLASSES[a][0] and phantom[0, 0] == CLASSES[b][0]
    assert own[-1, -1] == 255 and phantom[-1, -1] == 255


def test_deterministic_under_a_seed_and_partner_knob(tiny_root):
    assert build(tiny_root, seed=3).pairs == build(tiny_root, seed=3).pairs
    assert build(tiny_root, seed=3).pairs != build(tiny_root, seed=4).pairs
    one = build(tiny_root, num_partners=1, seed=3)
    assert len(one) == 6  # one partner cluster per (cluster, image)
    assert one.pairs == build(tiny_root, num_partners=1, seed=3).pairs


def test_partner_of_another_size_is_cut_or_padded(tiny_root):
    dataset = build(tiny_root)
    dataset.pairs = [(0, 5, 0.75)]  # image 5 is 6 x 6: padded with 0 / 255
    data = dataset[0]
    assert data['inputs'].shape == (3, 8, 8)
    assert float(data['inputs'][0, 7, 7]) == pytest.approx(0.75 * 10)
    assert (data['data_samples'].gt_phantom_seg.data[0, 6:] == 255).all()


def test_bad_options_are_named(tiny_root):
    with pytest.raises(ValueError, match='delta_range must be'):
        build(tiny_root, delta_range=(0.9, 0.7))
    with pytest.raises(ValueError, match='num_partners must be >= 1'):
        build(tiny_root, num_partners=0)
