"""SegMix's batch mixing (Algorithm 1), Mixup and CutMix for segmentation, and
the data preprocessor that applies them, on hand-made batches."""

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsss_mm.models.data_preprocessors import CoOccurrenceMix, MixSegDataPreProcessor
from wsss_mm.registry import MODELS


def batch(label_sets, size=4):
    """Images of constant value i + 1 and label maps holding the given ids."""
    inputs = torch.stack(
        [torch.full((3, size, size), float(i + 1)) for i in range(len(label_sets))]
    )
    samples = []
    for ids in label_sets:
        gt = torch.zeros(1, size, size, dtype=torch.int64)
        flat = gt.view(-1)
        for n, c in enumerate(ids):
            flat[n] = c
        flat[-1] = 255
        samples.append(SegDataSample(gt_sem_seg=PixelData(data=gt)))
    return inputs, samples


# 5 class ids, 0 = background; C[1, 2] high, C[3, 4] medium
MATRIX = np.array(
    [
        [100, 100, 100, 100, 100],
        [100, 0, 9, 1, 0],
        [100, 9, 0, 0, 2],
        [100, 1, 0, 0, 5],
        [100, 0, 2, 5, 0],
    ]
)


def test_cooccurrence_partner_is_the_highest_score_and_labels_are_kept():
    inputs, samples = batch([[1], [3], [2], [4], []])
    orig = [s.gt_sem_seg.data.clone() for s in samples]
    mix = CoOccurrenceMix(MATRIX, alpha=0.0)
    partners, deltas = mix.pair(torch.stack(orig))
    # 0 {1}: C[3,1]=1, C[2,1]=9 -> 2;  1 {3}: C[4,3]=5 -> 3;  2 {2}: C[1,2]=9 -> 0
    # 3 {4}: C[2,4]=2, C[3,4]=5 -> 1;  4 {}: no class, all scores 0 -> first other, 0
    assert partners.tolist() == [2, 3, 0, 1, 0]
    assert deltas.tolist() == [1.0] * 5  # alpha = 0: delta = 1
    mixed, out = mix(inputs, samples)
    torch.testing.assert_close(mixed, inputs)  # delta = 1: own images
    for i, sample in enumerate(out):
        assert torch.equal(sample.gt_sem_seg.data, orig[i])
        assert torch.equal(sample.gt_phantom_seg.data, orig[partners[i]])
        assert sample.mix_delta == 1.0


def test_cooccurrence_score_sums_over_both_class_sets():
    # sample 0 {1, 3}: sample 1 {2} scores C[2,1] + C[2,3] = 9, sample 2 {4} scores 0 + 5
    _, samples = batch([[1, 3], [2], [4]])
    partners, _ = CoOccurrenceMix(MATRIX, alpha=0.0).pair(
        torch.stack([s.gt_sem_seg.data for s in samples])
    )
    assert partners[0] == 1


def test_cooccurrence_delta_rule_and_gamma_override():
    inputs, samples = batch([[1, 3], [2], [4], [3]])
    labels = torch.stack([s.gt_sem_seg.data for s in samples])
    np.random.seed(0)
    expected = np.random.beta(0.5, 0.5)
    np.random.seed(0)
    mix = CoOccurrenceMix(MATRIX, alpha=0.5, gamma=2)
    partners, deltas = mix.pair(labels)
    # 2 {4}: samples 0 (C[1,4] + C[3,4]) and 3 (C[3,4]) tie at 5 -> the first, 0.
    # Class counts: 0 {1,3} + 1 {2} = 3 > 2 -> 0.9; 1 + 0: 3 -> 0.9; 2 {4} + 0: 3 -> 0.9;
    # 3 {3} + 2 {4} = 2 -> the drawn delta
    assert partners.tolist() == [1, 0, 0, 2]
    torch.testing.assert_close(deltas, torch.tensor([0.9, 0.9, 0.9, expected], dtype=torch.float64))
    np.random.seed(0)
    mixed, out = mix(inputs, samples)
    for k, sample in enumerate(out):
        d = float(deltas[k])
        assert sample.mix_delta == pytest.approx(d)
        # constant images k + 1: the blend is d (k + 1) + (1 - d) (partner + 1)
        value = d * (k + 1) + (1 - d) * (int(partners[k]) + 1)
        torch.testing.assert_close(mixed[k], torch.full_like(mixed[k], value))
        assert torch.equal(sample.gt_phantom_seg.data, labels[partners[k]])


def test_cooccurrence_dominant_weight_and_bad_ids(tmp_path):
    _, samples = batch([[1], [2]])
    labels = torch.stack([s.gt_sem_seg.data for s in samples])
    np.random.seed(3)
    _, deltas = CoOccurrenceMix(MATRIX, alpha=0.2, dominant_weight=True).pair(labels)
    assert (deltas >= 0.5).all()
    path = tmp_path / 'cooc.npy'
    np.save(path, MATRIX[:3, :3])
    with pytest.raises(ValueError, match=r'label ids \[3\] have no row in .*cooc.npy \(3x3\)'):
        CoOccurrenceMix(str(path), alpha=1.0).pair(batch_labels([[3]]))
    with pytest.raises(ValueError, match='alpha must be >= 0'):
        CoOccurrenceMix(MATRIX, alpha=-1.0)


def test_cooccurrence_max_k_leaves_pairs_above_gamma_unblended():
    # Table 10's "max = 2": the pairs of test_cooccurrence_delta_rule_and_gamma_override
    # above 2 classes keep their own image, delta 1 and no phantom labels
    inputs, samples = batch([[1, 3], [2], [4], [3]])
    labels = torch.stack([s.gt_sem_seg.data for s in samples])
    np.random.seed(0)
    expected = np.random.beta(0.5, 0.5)
    np.random.seed(0)
    mix = CoOccurrenceMix(MATRIX, alpha=0.5, gamma=2, gamma_mode='max')
    mixed, out = mix(inputs, samples)
    for k in range(3):
        assert out[k].mix_delta == 1.0
        torch.testing.assert_close(mixed[k], inputs[k])
        assert (out[k].gt_phantom_seg.data == 255).all()
        assert torch.equal(out[k].gt_sem_seg.data, labels[k])
    # sample 3 {3} + its partner 2 {4}: 2 classes, blended with the drawn delta
    assert out[3].mix_delta == pytest.approx(expected)
    assert torch.equal(out[3].gt_phantom_seg.data, labels[2])
    torch.testing.assert_close(
        mixed[3], torch.full_like(mixed[3], expected * 4 + (1 - expected) * 3)
    )
    with pytest.raises(ValueError, match="gamma_mode must be one of \\('ratio', 'max'\\)"):
        CoOccurrenceMix(MATRIX, alpha=1.0, gamma=2, gamma_mode='skip')


def test_cooccurrence_delta_range_draws_each_sample_uniformly():
    labels = batch_labels([[1], [2], [3], [4]] * 64)
    np.random.seed(0)
    expected = np.random.uniform(0.7, 1.0, size=256)
    np.random.seed(0)
    mix = CoOccurrenceMix(MATRIX, alpha=1.0, delta_range=(0.7, 1.0), dominant_weight=True)
    _, deltas = mix.pair(labels)
    # one draw per sample, as ClusterMixDataset's, in place of the batch's Beta draw
    torch.testing.assert_close(deltas, torch.as_tensor(expected))
    assert deltas.min() >= 0.7 and deltas.max() <= 1.0 and deltas.std() > 0.05
    # the gamma rule still applies on top (0.9, inside the range)
    _, deltas = CoOccurrenceMix(MATRIX, alpha=1.0, gamma=0, delta_range=(0.7, 1.0)).pair(labels)
    assert (deltas == 0.9).all()
    for bad in [(0.8, 0.7), (0.5, 1.2), (0.7,)]:
        with pytest.raises(ValueError, match='delta_range must be \\(low, high\\)'):
            CoOccurrenceMix(MATRIX, alpha=1.0, delta_range=bad)


def batch_labels(label_sets):
    return torch.stack([s.gt_sem_seg.data for s in batch(label_sets)[1]])


def test_seg_mixup_keeps_both_maps_and_delta():
    inputs, samples = batch([[1], [2], [3]])
    orig = [s.gt_sem_seg.data.clone() for s in samples]
    torch.manual_seed(0)
    perm = torch.randperm(3)
    torch.manual_seed(0)
    np.random.seed(1)
    mixed, out = MODELS.build(dict(type='SegMixup', alpha=1.0))(inputs, samples)
    assert mixed.shape == inputs.shape
    delta = out[0].mix_delta
    assert 0 <= delta <= 1 and all(s.mix_delta == delta for s in out)
    for k, sample in enumerate(out):
        assert torch.equal(sample.gt_sem_seg.data, orig[k])
        assert torch.equal(sample.gt_phantom_seg.data, orig[perm[k]])
        value = delta * (k + 1) + (1 - delta) * (int(perm[k]) + 1)
        torch.testing.assert_close(mixed[k], torch.full_like(mixed[k], value))


def test_seg_cutmix_pastes_the_box_into_images_and_labels():
    inputs, samples = batch([[1], [2], [3], [4]], size=16)
    for k, s in enumerate(samples):
        s.gt_sem_seg.data.fill_(k + 1)
    torch.manual_seed(0)
    perm = torch.randperm(4)
    torch.manual_seed(0)
    np.random.seed(0)
    mixed, out = MODELS.build(dict(type='SegCutMix', alpha=1.0, cutmix_minmax=[0.4, 0.6]))(
        inputs, samples
    )
    assert mixed.shape == inputs.shape
    for k, sample in enumerate(out):
        labels = sample.gt_sem_seg.data
        assert labels.shape == (1, 16, 16)
        pasted = labels == int(perm[k]) + 1
        if perm[k] != k:
            assert 0 < pasted.sum() < 256
        # image and labels agree pixel by pixel: the pasted box holds the partner
        torch.testing.assert_close(mixed[k, 0], labels[0].float())
        assert 'gt_phantom_seg' not in sample and 'mix_delta' not in sample


def test_missing_labels_are_named():
    inputs, _ = batch([[1], [2]])
    with pytest.raises(KeyError, match='data sample 0 has no gt_sem_seg'):
        CoOccurrenceMix(MATRIX, alpha=1.0)(inputs, [SegDataSample(), SegDataSample()])


def test_preprocessor_applies_the_augments_in_training_only():
    preprocessor = MixSegDataPreProcessor(
        mean=[0, 0, 0],
        std=[1, 1, 1],
        size=(6, 6),
        batch_augments=[dict(type='CoOccurrenceMix', cooccurrence=MATRIX, alpha=0.0, gamma=0)],
    )
    _, samples = batch([[1], [2]])
    phantom = PixelData(data=torch.zeros(1, 4, 4, dtype=torch.int64))
    samples[0].gt_phantom_seg = phantom  # from the data: padded like gt_sem_seg
    data = dict(inputs=[torch.full((3, 4, 4), 10, dtype=torch.uint8)] * 2, data_samples=samples)
    out = preprocessor(data, training=True)
    assert out['inputs'].shape == (2, 3, 6, 6)
    # gamma = 0: delta 0.9, partners swapped; padding (0) blends to 0
    torch.testing.assert_close(out['inputs'][0, :, :4, :4], torch.full((3, 4, 4), 10.0))
    assert out['data_samples'][0].mix_delta == pytest.approx(0.9)
    assert out['data_samples'][0].gt_phantom_seg.shape == (6, 6)
    assert (out['data_samples'][0].gt_phantom_seg.data[0, 4:] == 255).all()
    _, samples = batch([[1], [2]])
    test = preprocessor(dict(inputs=[torch.zeros(3, 4, 4)] * 2, data_samples=samples))
    assert 'mix_delta' not in test['data_samples'][0]
