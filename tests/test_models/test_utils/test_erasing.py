"""OC-CSE / P-NOC erasing: the erased-class samplers and the erasing masks."""

import pytest
import torch
import torch.nn.functional as F

from wsss_mm.models.utils import ErasedClassSampler, erased_targets, erasing_masks


def test_random_is_uniform_over_present_classes():
    torch.manual_seed(0)
    sampler = ErasedClassSampler(4, 'random')
    labels = torch.tensor([[1.0, 0, 1, 1]]).repeat(3000, 1)
    erased = sampler(labels)
    counts = torch.bincount(erased, minlength=4).float()
    assert counts[1] == 0
    assert torch.allclose(counts[[0, 2, 3]] / 3000, torch.full((3,), 1 / 3), atol=0.03)
    assert torch.equal(sampler.choices, counts + 1)  # the counts start at 1


def test_an_image_without_class_erases_nothing():
    sampler = ErasedClassSampler(3, 'random')
    labels = torch.tensor([[0.0, 0, 0], [0, 1, 0]])
    erased = sampler(labels)
    assert erased.tolist() == [-1, 1]
    assert erased_targets(labels, erased).tolist() == [[0, 0, 0], [0, 0, 0]]


def test_least_chosen_alternates_within_a_batch():
    sampler = ErasedClassSampler(3, 'least_chosen')
    erased = sampler(torch.tensor([[1.0, 1, 0]]).repeat(4, 1))
    assert erased.tolist() == [0, 1, 0, 1]  # sequential, as the authors' loop
    assert sampler.choices.tolist() == [3, 3, 1]


def test_balanced_prefers_rarely_chosen_classes():
    torch.manual_seed(0)
    sampler = ErasedClassSampler(2, 'balanced')
    sampler.choices.copy_(torch.tensor([1e6, 1.0]))
    erased = sampler(torch.tensor([[1.0, 1]]).repeat(200, 1))
    # p(class 1) = 1 / (1 + n_1) at most 1e-6 -> class 1 until its count grows
    assert (erased == 1).float().mean() > 0.9


def test_focal_follows_the_factors_and_updates_them():
    torch.manual_seed(0)
    sampler = ErasedClassSampler(3, 'focal', focal_momentum=0.5, focal_gamma=2.0)
    sampler.focal_factor.copy_(torch.tensor([1.0, 0.0, 1.0]))
    erased = sampler(torch.tensor([[1.0, 1, 0]]).repeat(50, 1))
    assert (erased == 0).all()
    labels = torch.tensor([[1.0, 1, 0], [0, 1, 0]])
    targets = torch.tensor([[0.0, 1, 0], [0, 0, 0]])
    logits = torch.tensor([[0.0, 0, 0], [0, 2, 0]])
    sampler.update_focal(labels, targets, logits)
    p = torch.sigmoid(logits)
    pt = targets * p + (1 - targets) * (1 - p)
    factor = ((1 - pt) ** 2).sum(0) / torch.tensor([1.0, 2, 1])
    expected = torch.tensor([0.5 * 1 + 0.5 * factor[0], 0.5 * 0 + 0.5 * factor[1], 1.0])
    assert torch.allclose(sampler.focal_factor, expected)  # class 2 absent: unchanged


def test_bad_strategy():
    with pytest.raises(ValueError, match='strategy must be one of'):
        ErasedClassSampler(3, 'greedy')


def test_erasing_masks_relu_resize_and_normalise():
    cams = torch.zeros(2, 3, 2, 2)
    cams[0, 1] = torch.tensor([[2.0, -1], [0, 1]])
    cams[1, 2] = torch.tensor([[0.5, 0], [0, 0]])
    cams.requires_grad_(True)
    erased = torch.tensor([1, 2])
    batch = erasing_masks(cams, erased, (4, 4), norm='batch')
    resized = F.interpolate(
        F.relu(cams.detach()[[0, 1], [1, 2]])[:, None], (4, 4), mode='bilinear', align_corners=False
    )
    assert torch.allclose(batch, resized / (resized.max() + 1e-5))
    assert batch[1].max() < 0.5 < batch[0].max()  # one maximum over the batch
    image = erasing_masks(cams, erased, (4, 4), norm='image')
    assert torch.allclose(image.flatten(1).max(1).values, torch.ones(2), atol=1e-4)
    none = erasing_masks(cams, torch.tensor([-1, 2]), (4, 4), norm='image')
    assert none[0].abs().sum() == 0
    batch.sum().backward()  # the soft mask trains the generator
    assert cams.grad[0, 1].abs().sum() > 0 and cams.grad[0, 0].abs().sum() == 0
    with pytest.raises(ValueError, match='mask norm'):
        erasing_masks(cams, erased, (4, 4), norm='global')
