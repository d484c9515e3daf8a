"""SegMix's losses on hand-made maps, against torch.nn.functional.cross_entropy:
Eq. 5 ``ℓ_fb + δ·ℓ_t + (1 − δ)·ℓ_p`` with δ per sample from ``mix_delta`` (an
unmixed sample has δ = 1 and no phantom pixels), Mixup's one-output loss, and
Eq. 6's ``ℓ_t + log Σ ReLU(S_p)``."""

import math

import pytest
import torch
import torch.nn.functional as F
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsss_mm.models.segmentors import BindingSegmentor

IGNORE = 255
LOSS = dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True)


def segmentor(**kwargs) -> BindingSegmentor:
    head = dict(
        type='ASPPHead', in_channels=8, channels=4, num_classes=3, dilations=(1,), loss_decode=LOSS
    )
    options = dict(
        phantom_head=head,
        binding_head=dict(type='FeatureBindingHead', num_classes=3, channels=4, loss_decode=LOSS),
    )
    options.update(kwargs)
    return BindingSegmentor(
        backbone=dict(type='mmpretrain.ResNet', depth=18, base_channels=2, out_indices=(3,)),
        decode_head=head,
        **options,
    )


def with_scores(model: BindingSegmentor, monkeypatch, **scores) -> None:
    """The model's branches return the hand-made ``scores``."""
    monkeypatch.setattr(model, 'extract_feat', lambda inputs: [inputs])
    monkeypatch.setattr(model, '_branches', lambda x, with_binding: dict(scores))


def sample(dominant, phantom=None, delta=None) -> SegDataSample:
    s = SegDataSample(metainfo=dict(img_shape=(2, 3)))
    s.gt_sem_seg = PixelData(data=torch.tensor([dominant]))
    if phantom is not None:
        s.gt_phantom_seg = PixelData(data=torch.tensor([phantom]))
    if delta is not None:
        s.set_metainfo(dict(mix_delta=delta))
    return s


# sample 0 mixed (δ = 0.7), sample 1 unmixed: no phantom map, no mix_delta
G_A = [[[0, 1, 2], [IGNORE, 1, 0]], [[2, 2, 1], [0, IGNORE, IGNORE]]]
G_B0 = [[1, IGNORE, 0], [2, 2, IGNORE]]


def test_eq5_per_sample_delta_and_an_unmixed_sample(monkeypatch):
    torch.manual_seed(0)
    s_t, s_p, s_fb = (torch.randn(2, 3, 2, 3) for _ in range(3))
    model = segmentor()
    with_scores(model, monkeypatch, dominant=s_t, phantom=s_p, binding=s_fb)
    samples = [sample(G_A[0], G_B0, 0.7), sample(G_A[1])]
    losses = model.loss(torch.zeros(2, 3, 2, 3), samples)

    g_a, g_b0 = torch.tensor(G_A), torch.tensor(G_B0)
    # δ·ℓ_t: each pixel of sample b weighted by δ_b (1 for the unmixed one), mean over
    # the labelled pixels of the batch
    ce_t = F.cross_entropy(s_t, g_a, ignore_index=IGNORE, reduction='none')
    loss_t = (0.7 * ce_t[0].sum() + 1.0 * ce_t[1].sum()) / (g_a != IGNORE).sum()
    # (1 − δ)·ℓ_p: only sample 0 has phantom pixels
    ce_p = F.cross_entropy(s_p[:1], g_b0[None], ignore_index=IGNORE, reduction='sum')
    loss_p = 0.3 * ce_p / (g_b0 != IGNORE).sum()
    # ℓ_fb: S_fb against G_a, unweighted
    loss_fb = F.cross_entropy(s_fb, g_a, ignore_index=IGNORE)

    assert set(losses) == {'loss_t', 'loss_p', 'loss_fb'}
    assert losses['loss_t'].item() == pytest.approx(loss_t.item(), rel=1e-5)
    assert losses['loss_p'].item() == pytest.approx(loss_p.item(), rel=1e-5)
    assert losses['loss_fb'].item() == pytest.approx(loss_fb.item(), rel=1e-5)
    assert sum(losses.values()).item() == pytest.approx(
        (loss_fb + loss_t + loss_p).item(), rel=1e-5
    )


def test_eq5_one_mixed_sample_is_the_formula(monkeypatch):
    """For one sample the batch means are the paper's ℓ's: L = ℓ_fb + δ ℓ_t + (1 − δ) ℓ_p."""
    torch.manual_seed(1)
    s_t, s_p, s_fb = (torch.randn(1, 3, 2, 3) for _ in range(3))
    model = segmentor()
    with_scores(model, monkeypatch, dominant=s_t, phantom=s_p, binding=s_fb)
    losses = model.loss(torch.zeros(1, 3, 2, 3), [sample(G_A[0], G_B0, 0.6)])
    g_a, g_b = torch.tensor(G_A[:1]), torch.tensor([G_B0])
    expected = (
        F.cross_entropy(s_fb, g_a, ignore_index=IGNORE)
        + 0.6 * F.cross_entropy(s_t, g_a, ignore_index=IGNORE)
        + 0.4 * F.cross_entropy(s_p, g_b, ignore_index=IGNORE)
    )
    assert sum(losses.values()).item() == pytest.approx(expected.item(), rel=1e-5)


def test_no_mixed_sample_gives_a_zero_phantom_term(monkeypatch):
    s_t = torch.randn(2, 3, 2, 3)
    s_p = torch.randn(2, 3, 2, 3, requires_grad=True)
    model = segmentor(binding_head=None)
    with_scores(model, monkeypatch, dominant=s_t, phantom=s_p)
    losses = model.loss(torch.zeros(2, 3, 2, 3), [sample(G_A[0]), sample(G_A[1])])
    assert set(losses) == {'loss_t', 'loss_p'}  # no binding head: no ℓ_fb
    assert losses['loss_p'].item() == 0 and losses['loss_p'].requires_grad
    assert losses['loss_t'].item() == pytest.approx(
        F.cross_entropy(s_t, torch.tensor(G_A), ignore_index=IGNORE).item(), rel=1e-5
    )


def test_mixup_loss_without_a_phantom_branch(monkeypatch):
    """No phantom head: S_t takes both terms, δ ℓ(S_t, G_a) + (1 − δ) ℓ(S_t, G_b)."""
    s_t = torch.randn(1, 3, 2, 3)
    model = segmentor(phantom_head=None, binding_head=None)
    with_scores(model, monkeypatch, dominant=s_t)
    losses = model.loss(torch.zeros(1, 3, 2, 3), [sample(G_A[0], G_B0, 0.25)])
    expected = 0.25 * F.cross_entropy(
        s_t, torch.tensor(G_A[:1]), ignore_index=IGNORE
    ) + 0.75 * F.cross_entropy(s_t, torch.tensor([G_B0]), ignore_index=IGNORE)
    assert sum(losses.values()).item() == pytest.approx(expected.item(), rel=1e-5)


def test_a_phantom_map_without_mix_delta_is_named(monkeypatch):
    model = segmentor()
    with_scores(
        model,
        monkeypatch,
        **{k: torch.randn(1, 3, 2, 3) for k in ('dominant', 'phantom', 'binding')},
    )
    with pytest.raises(KeyError, match='data sample 0 has gt_phantom_seg but no mix_delta'):
        model.loss(torch.zeros(1, 3, 2, 3), [sample(G_A[0], G_B0)])


@pytest.mark.parametrize('eps, weight', [(0.0, 1.0), (1.0, 1.0), (1.0, 0.5)])
def test_eq6_ppa_on_a_hand_made_phantom_map(monkeypatch, eps, weight):
    # per image: Σ_{i,j,k} ReLU(S_p) = 1 + 2 + 0.5 = 3.5 and 4, then the log, batch mean
    s_p = torch.zeros(2, 3, 2, 3)
    s_p[0, 0, 0, 0], s_p[0, 1, 1, 2], s_p[0, 2, 0, 1], s_p[0, 2, 1, 1] = 1.0, 2.0, 0.5, -7.0
    s_p[1, 1, 0, 2], s_p[1, 0, 0, 0] = 4.0, -1.0
    s_t = torch.randn(2, 3, 2, 3)
    model = segmentor(stage=2, ppa_eps=eps, ppa_weight=weight)
    with_scores(model, monkeypatch, dominant=s_t, phantom=s_p)
    # stage 2 ignores the mixing fields: ℓ_t is the plain cross-entropy
    losses = model.loss(torch.zeros(2, 3, 2, 3), [sample(G_A[0], G_B0, 0.7), sample(G_A[1])])
    assert set(losses) == {'loss_t', 'loss_ppa'}
    expected_ppa = weight * (math.log(eps + 3.5) + math.log(eps + 4.0)) / 2
    assert losses['loss_ppa'].item() == pytest.approx(expected_ppa, rel=1e-6)
    assert losses['loss_t'].item() == pytest.approx(
        F.cross_entropy(s_t, torch.tensor(G_A), ignore_index=IGNORE).item(), rel=1e-5
    )
