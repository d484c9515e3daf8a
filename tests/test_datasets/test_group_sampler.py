"""Group-WSSS's greedy group sampler: every image an anchor once per epoch, its
partners the images sharing the most classes with it."""

import numpy as np
import pytest

from wsss_mm.datasets import VOCClsDataset
from wsss_mm.datasets.samplers import GroupSampler
from wsss_mm.datasets.samplers import group_sampler as group_sampler_module
from wsss_mm.registry import DATA_SAMPLERS


class FakeDataset:
    """Data infos holding only ``gt_labels`` (no files)."""

    def __init__(self, class_sets, num_classes=5, key='gt_labels'):
        self.infos = []
        for classes in class_sets:
            label = np.zeros(num_classes, dtype=np.float32)
            label[list(classes)] = 1
            self.infos.append({key: label, 'img_id': str(len(self.infos))})

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, idx):
        return self.infos[idx]


#: anchor 0 shares 3 classes with 1, 2 with 2, 1 with 3, none with 4 and 5
HAND = [{0, 1, 2}, {0, 1, 2}, {0, 1}, {0}, {3}, {4}]


def random_dataset(num_images=37, num_classes=6, seed=0):
    rng = np.random.default_rng(seed)
    return FakeDataset(
        [set(np.flatnonzero(rng.random(num_classes) < 0.3)) for _ in range(num_images)],
        num_classes=num_classes,
    )


def as_groups(sampler):
    return np.asarray(list(sampler)).reshape(-1, sampler.group_size)


def test_each_image_is_an_anchor_once_per_epoch():
    dataset = random_dataset()
    sampler = GroupSampler(dataset, group_size=4, seed=3)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        groups = as_groups(sampler)
        assert sorted(groups[:, 0].tolist()) == list(range(len(dataset)))
        # partners: never the anchor, distinct within a group
        for group in groups:
            assert len(set(group.tolist())) == 4


def test_partners_maximise_shared_classes():
    sampler = GroupSampler(FakeDataset(HAND), group_size=4, seed=0)
    for epoch in range(5):
        sampler.set_epoch(epoch)
        groups = {int(g[0]): g[1:].tolist() for g in as_groups(sampler)}
        assert groups[0] == [1, 2, 3]  # 3, 2, 1 shared classes, best first
        assert groups[1] == [0, 2, 3]
        assert groups[2][:2] in ([0, 1], [1, 0])  # both share 2 classes
        assert groups[2][2] == 3
        assert sorted(groups[3]) == [0, 1, 2]  # a tie of 1 shared class each
        # no image shares a class with 4: filled with the best remaining (any other image)
        assert 4 not in groups[4] and len(set(groups[4])) == 3


def test_ties_are_broken_randomly():
    sampler = GroupSampler(FakeDataset(HAND), group_size=2, seed=0)
    partners_of_3 = set()
    for epoch in range(20):
        sampler.set_epoch(epoch)
        groups = {int(g[0]): int(g[1]) for g in as_groups(sampler)}
        assert groups[0] == 1
        partners_of_3.add(groups[3])
    assert partners_of_3 == {0, 1, 2}


def test_deterministic_under_seed_and_epoch():
    dataset = random_dataset()
    a = GroupSampler(dataset, group_size=4, seed=7)
    b = GroupSampler(dataset, group_size=4, seed=7)
    a.set_epoch(2)
    b.set_epoch(2)
    assert list(a) == list(b)
    assert list(a) == list(a)  # re-iterating the same epoch
    b.set_epoch(3)
    assert list(a) != list(b)
    assert list(GroupSampler(dataset, group_size=4, seed=8)) != list(
        GroupSampler(dataset, group_size=4, seed=7)
    )


def test_no_shuffle_keeps_the_anchor_order():
    sampler = GroupSampler(random_dataset(), group_size=3, shuffle=False, seed=0)
    assert as_groups(sampler)[:, 0].tolist() == list(range(37))


@pytest.mark.parametrize('group_size', [1, 2, 4])
def test_length(group_size):
    sampler = GroupSampler(random_dataset(num_images=10), group_size=group_size, seed=0)
    assert len(sampler) == 10 * group_size
    assert len(list(sampler)) == len(sampler)


def test_blocks_keep_the_anchors_and_shared_counts(monkeypatch):
    dataset = random_dataset(num_images=50)
    whole = as_groups(GroupSampler(dataset, group_size=4, seed=1))
    sampler = GroupSampler(dataset, group_size=4, seed=1)
    monkeypatch.setattr(sampler, 'block_size', 7)
    blocked = as_groups(sampler)
    assert blocked[:, 0].tolist() == whole[:, 0].tolist()
    # the tie noise depends on the blocks, the shared-class counts of the partners do not
    labels = sampler.labels.numpy()
    for g_whole, g_blocked in zip(whole, blocked):
        assert (labels[g_whole[1:]] @ labels[g_whole[0]]).tolist() == (
            labels[g_blocked[1:]] @ labels[g_blocked[0]]
        ).tolist()


@pytest.mark.parametrize('num_images', [10, 11])
def test_distributed_ranks_take_whole_groups(monkeypatch, num_images):
    dataset = random_dataset(num_images=num_images)
    full = as_groups(GroupSampler(dataset, group_size=3, seed=5))
    anchors = []
    for rank in range(2):
        monkeypatch.setattr(group_sampler_module, 'get_dist_info', lambda rank=rank: (rank, 2))
        sampler = GroupSampler(dataset, group_size=3, seed=5)
        indices = list(sampler)
        assert len(indices) == len(sampler) == -(-num_images // 2) * 3
        groups = as_groups(sampler)
        # whole groups: the anchor of each, then distinct partners
        for group in groups:
            assert len(set(group.tolist())) == 3
        # rank r takes groups r, r + 2, ... of the (padded) anchor order
        padded = np.concatenate([full[:, 0], full[:, 0]])[: 2 * len(groups)]
        assert groups[:, 0].tolist() == padded[rank::2].tolist()
        anchors += groups[:, 0].tolist()
    assert set(anchors) == set(range(num_images))
    assert len(anchors) == 2 * -(-num_images // 2)


def test_built_from_the_registry():
    sampler = DATA_SAMPLERS.build(
        dict(type='GroupSampler', dataset=FakeDataset(HAND), group_size=2, seed=0)
    )
    assert isinstance(sampler, GroupSampler)
    assert len(sampler) == 12


def test_on_voc_cls_dataset(synth_root):
    dataset = VOCClsDataset(
        data_root=synth_root,
        ann_file='ImageSets/Segmentation/train.txt',
        pipeline=[],
    )
    sampler = GroupSampler(dataset, group_size=4, seed=0)
    groups = as_groups(sampler)
    assert sorted(groups[:, 0].tolist()) == list(range(len(dataset)))
    labels = sampler.labels.numpy()
    for group in groups:
        shared = labels[group[1:]] @ labels[group[0]]
        others = np.delete(labels, group[0], axis=0) @ labels[group[0]]
        assert sorted(shared, reverse=True) == sorted(others, reverse=True)[:3]


def test_bad_inputs():
    for group_size in (0, -1, 2.0, True):
        with pytest.raises(ValueError, match='group_size'):
            GroupSampler(FakeDataset(HAND), group_size=group_size)
    with pytest.raises(ValueError, match='fewer than group_size'):
        GroupSampler(FakeDataset(HAND[:3]), group_size=4)
    with pytest.raises(KeyError, match='gt_labels'):
        GroupSampler(FakeDataset(HAND, key='labels'), group_size=2)
    with pytest.raises(TypeError, match='get_data_info'):
        GroupSampler(list(range(8)), group_size=2)
    bad = FakeDataset(HAND)
    bad.infos[2]['gt_labels'] = np.zeros(3, dtype=np.float32)
    with pytest.raises(ValueError, match='data info 2'):
        GroupSampler(bad, group_size=2)
