"""CPN's losses on hand-made cases: OHEM, TCP (stop gradient on the pair), CPCR (both
background orders, the code's form), adaptive min pooling."""

import pytest
import torch

import wsss_mm
from wsss_mm.models.losses import ohem_mean
from wsss_mm.registry import MODELS


@pytest.fixture(scope='module', autouse=True)
def registered():
    wsss_mm.register_all_modules(init_default_scope=False)


def test_ohem_keeps_each_samples_hardest_share():
    losses = torch.arange(20.0).view(2, 10)
    assert ohem_mean(losses, 0.2) == (9 + 8 + 19 + 18) / 4
    assert ohem_mean(losses, 1.0) == losses.mean()
    assert ohem_mean(losses, 0.01) == (9 + 19) / 2  # at least one element
    with pytest.raises(ValueError, match='ratio'):
        ohem_mean(losses, 0)


def test_ohem_counts_the_elements_left_out_as_zero_losses():
    losses = torch.tensor([[3.0, 1.0]])  # of 5 elements, the other 3 zero
    assert ohem_mean(losses, 0.4, num_elements=5) == (3 + 1) / 2
    assert ohem_mean(losses, 0.2, num_elements=5) == 3
    assert ohem_mean(losses, 0.8, num_elements=5) == (3 + 1) / 4
    assert ohem_mean(losses, 1.0, num_elements=5) == (3 + 1) / 5
    with pytest.raises(ValueError, match='num_elements'):
        ohem_mean(losses, 0.5, num_elements=1)


def test_tcp_loss_hand_case_and_stop_gradient_on_the_pair():
    lam = torch.tensor([0.25])
    cams = [
        torch.ones(1, 1, 2, 2),
        torch.ones(1, 1, 2, 2, requires_grad=True),
        torch.zeros(1, 1, 2, 2),
    ]
    refined = [
        torch.full((1, 1, 2, 2), 0.5),
        torch.ones(1, 1, 2, 2, requires_grad=True),
        torch.zeros(1, 1, 2, 2),
    ]
    loss = MODELS.build(dict(type='TCPLoss', loss_weight=2.0))(cams, refined, lam)
    # |0.25 * 1 + 0.75 * 0 - 1| + |0.25 * 1 + 0.75 * 0 - 0.5|
    assert loss.item() == pytest.approx(2.0 * (0.75 + 0.25))
    loss.backward()
    assert cams[1].grad is None
    assert torch.allclose(refined[1].grad, torch.full((1, 1, 2, 2), 2.0 * 0.25 * -1 / 4))


@pytest.mark.parametrize(
    'bg_order,ohem_ratio,max_target,expected',
    [
        ('before_scaling', 1.0, False, 0.5 + 0.5),
        ('before_scaling', 0.5, False, 1 + 1),
        ('before_scaling', 1.0, True, 0.375 + 0.375),
        ('after_scaling', 1.0, False, 1 + 0.5),
        ('after_scaling', 0.5, False, 1.5 + 1),
        ('after_scaling', 1.0, True, 0.75 + 0.25),
    ],
)
def test_cpcr_loss_hand_case(bg_order, ohem_ratio, max_target, expected):
    # one class, two pixels; the loss adds the background channel, λ = λ̄ = 0.5
    fg = dict(cam_o=[0.0, 1], cam_h=[0.0, 0], cam_hbar=[1.0, 1], ref_h=[1.0, 1], ref_hbar=[0.0, 0])
    fg = {k: torch.tensor(v).view(1, 1, 1, 2) for k, v in fg.items()}
    loss = MODELS.build(
        dict(type='CPCRLoss', ohem_ratio=ohem_ratio, max_target=max_target, bg_order=bg_order)
    )(
        [fg['cam_o'], fg['cam_h'], fg['cam_hbar']],
        [None, fg['ref_h'], fg['ref_hbar']],
        torch.tensor([0.5]),
    )
    # channel-major [bg p0, bg p1, fg p0, fg p1]. before_scaling: |[bg, Y_o] - λ[bg, Y_h] -
    # λ̄[bg, Ỹ_h̄]| = [0, 1, 0, 1] and |[bg, Y_o] - λ̄[bg, Y_h̄] - λ[bg, Ỹ_h]| = [1, 0, 1, 0];
    # targets' channel maxima only: [0, .5, 0, 1] and [1, 0, .5, 0]. after_scaling:
    # |[bg, Y_o] - [bg, λY_h] - [bg, λ̄Ỹ_h̄]| = [1, 2, 0, 1] and [0, 1, 1, 0]; channel maxima
    # only (a tie at p0 of the first target keeps both zeros): [1, 1, 0, 1] and [0, .5, .5, 0]
    assert loss.item() == pytest.approx(expected)


@pytest.mark.parametrize('ohem_ratio', [0.5, 1.0])
def test_cpcr_background_order_sets_the_gradient_sign_on_background(ohem_ratio):
    """One image, one class, 4 x 4 maps, λ = 0.5: the object (top-left 2 x 2) is
    in the CAMs of I and I_h (and half in I_h̄'s), the rest is background.

    There Y_o = Y_h = 0. With the background after the λ weighting (the code),
    the target is 0 in both channels and the prediction ``[1 - λ̄ Ỹ_h̄, λ̄ Ỹ_h̄]``:
    the background element's loss ``1 - λ̄ Ỹ_h̄`` (the hardest, kept by OHEM)
    pulls Ỹ_h̄ up; without OHEM the foreground element's ``λ̄ Ỹ_h̄`` cancels it.
    With the background before the weighting, the target is ``[λ̄, 0]`` and
    both elements' losses are ``λ̄ Ỹ_h̄``: Ỹ_h̄ is pushed down."""
    obj = torch.zeros(1, 1, 4, 4)
    obj[..., :2, :2] = 1
    background = obj == 0
    grads = {}
    for order in ('after_scaling', 'before_scaling'):
        ref_h, ref_hbar = (torch.full((1, 1, 4, 4), 0.2, requires_grad=True) for _ in range(2))
        loss = MODELS.build(dict(type='CPCRLoss', ohem_ratio=ohem_ratio, bg_order=order))(
            [obj, obj, 0.5 * obj], [None, ref_h, ref_hbar], torch.tensor([0.5])
        )
        loss.backward()
        grads[order] = (ref_hbar.grad[background], ref_h.grad[background])
    for grad in grads['before_scaling']:  # descent lowers the refined foreground
        assert (grad >= 0).all() and grad.sum() > 0
    for grad in grads['after_scaling']:
        if ohem_ratio < 1:  # descent raises it on every background cell
            assert (grad < 0).all()
        else:
            assert (grad == 0).all()


def test_cpcr_after_scaling_is_the_codes_loss():
    """``bg_order='after_scaling'`` with ``max_target`` and OHEM 20% gives
    ``Ferenas/CPN``'s ``loss_cpcr`` (``train_cpn.py``, transcribed here on
    21-channel maps whose channel 0 is overwritten), value and gradients."""
    torch.manual_seed(0)
    n, c, h, w = 2, 20, 7, 7
    fg = [torch.rand(n, c, h, w) * (torch.rand(n, c, 1, 1) > 0.7) for _ in range(5)]
    lam = torch.rand(n)

    def code_map(maps, weight):  # ctri * max_norm(cam) * label, then channel 0
        maps = torch.cat([torch.zeros(n, 1, h, w), weight.view(n, 1, 1, 1) * maps], dim=1)
        maps[:, 0] = 1 - maps[:, 1:].max(dim=1).values
        return maps

    def max_onehot(x):
        x = x.clone()
        x[x != x.max(dim=1, keepdim=True).values] = 0
        return x

    ref = [t.clone().requires_grad_() for t in fg[3:]]
    cam, cam1, cam2 = (code_map(m, wt) for m, wt in zip(fg[:3], (torch.ones(n), lam, 1 - lam)))
    rv1, rv2 = code_map(ref[0], lam), code_map(ref[1], 1 - lam)
    k = int(21 * h * w * 0.2)
    code = sum(
        torch.topk(torch.abs(max_onehot(cam - cam_) - rv).view(n, -1), k)[0].mean()
        for cam_, rv in ((cam1, rv2), (cam2, rv1))
    )
    ours_ref = [t.clone().requires_grad_() for t in fg[3:]]
    ours = MODELS.build(
        dict(type='CPCRLoss', ohem_ratio=0.2, max_target=True, bg_order='after_scaling')
    )(fg[:3], [None, *ours_ref], lam)
    assert ours.item() == pytest.approx(code.item())
    for a, b in zip(torch.autograd.grad(code, ref), torch.autograd.grad(ours, ours_ref)):
        assert torch.allclose(a, b)


def test_min_pooling_loss_hand_case():
    maps = torch.tensor([[[0.1, 0.9], [0.3, -0.2]], [[0.2, 0.0], [0.1, -0.5]]])[None]
    # per-pixel maxima [0.2, 0.9, 0.3, -0.2]; the lowest half [-0.2, 0.2] -> ReLU -> mean
    assert MODELS.build(dict(type='AdaptiveMinPoolingLoss', ratio=0.5))(
        maps
    ).item() == pytest.approx(0.1)
