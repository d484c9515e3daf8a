"""UAP (surrogate classifier) and GD-UAP (encoder): one perturbation within ε,
saved and reloaded identically, fitted to other image sizes, and kept by its
fooling rate on held-out images."""

import itertools

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData

from wsss_mm.attacks import (
    FoolingRateSelector,
    ImageSpace,
    activation_loss,
    apply_perturbation,
    classifier_loss,
    craft_gd_uap,
    craft_uap,
    fit_perturbation,
    load_perturbation,
    save_perturbation,
)

EPS = 10.0


def check_saved(tmp_path, v):
    path = str(tmp_path / 'v.npy')
    save_perturbation(path, v)
    loaded = load_perturbation(path, EPS)
    assert loaded.dtype == torch.float32 and torch.equal(loaded, v.float())
    assert [p.name for p in tmp_path.iterdir()] == ['v.npy']  # no temporary left


def test_uap_within_eps_raises_the_surrogate_loss(tiny_classifier, cls_batches, tmp_path):
    batches = cls_batches()
    v = craft_uap(tiny_classifier, batches, EPS, step_size=2.0, steps=5)
    assert v.shape == (3, 32, 32)
    assert 0 < v.abs().max() <= EPS
    check_saved(tmp_path, v)
    space = ImageSpace(tiny_classifier)
    with torch.no_grad():
        losses = []
        for perturbation in (torch.zeros_like(v), v):
            total = 0.0
            for data in batches:
                pixels, samples = space.to_pixels(data)
                adv = apply_perturbation(pixels, perturbation)
                total += classifier_loss(tiny_classifier, space.normalize(adv), samples).item()
            losses.append(total)
    assert losses[1] > losses[0]


def test_uap_size_and_steps(tiny_classifier, cls_batches):
    v = craft_uap(tiny_classifier, cls_batches(k=1), EPS, 2.0, steps=3, size=(16, 24))
    assert v.shape == (3, 16, 24)
    with pytest.raises(ValueError, match='no batch'):
        craft_uap(tiny_classifier, [], EPS, 2.0, steps=1)


@pytest.mark.parametrize('with_data', [False, True])
def test_gd_uap_within_eps_saved(tiny_segmentor, seg_batch, tmp_path, with_data):
    space = ImageSpace(tiny_segmentor)
    pixels, _ = space.to_pixels(seg_batch(size=24))
    images = itertools.cycle([pixels[:1], pixels[1:]]) if with_data else None
    v = craft_gd_uap(
        tiny_segmentor,
        (32, 32),
        EPS,
        steps=5,
        images=images,
        generator=torch.Generator().manual_seed(0),
    )
    assert v.shape == (3, 32, 32)
    assert 0 < v.abs().max() <= EPS
    check_saved(tmp_path, v)


def test_gd_uap_objective_is_lower_than_at_its_start(tiny_segmentor):
    space = ImageSpace(tiny_segmentor)
    mean = tiny_segmentor.data_preprocessor.mean[None]  # RGB: bgr_to_rgb=True

    def objective(v):
        with torch.no_grad():
            return activation_loss(tiny_segmentor.backbone, space.normalize(mean + v[None])).item()

    start = (2 * torch.rand(3, 32, 32, generator=torch.Generator().manual_seed(0)) - 1) * EPS
    v = craft_gd_uap(
        tiny_segmentor, (32, 32), EPS, steps=20, generator=torch.Generator().manual_seed(0)
    )
    assert objective(v) < objective(start)


def test_fit_and_apply(tmp_path):
    v = torch.linspace(-EPS, EPS, 3 * 4 * 6).reshape(3, 4, 6)
    tiled = fit_perturbation(v, (10, 7), 'tile')
    assert tiled.shape == (3, 10, 7)
    assert torch.equal(tiled[:, 4:8, :6], v)
    assert torch.equal(tiled[:, :, 6], v[:, [0, 1, 2, 3, 0, 1, 2, 3, 0, 1], 0])
    resized = fit_perturbation(v, (9, 13), 'resize')
    assert resized.shape == (3, 9, 13) and resized.abs().max() <= EPS
    pixels = torch.full((2, 3, 9, 13), 250.0)
    adv = apply_perturbation(pixels, v)
    assert adv.max() <= 255 and (adv - pixels).abs().max() <= EPS
    with pytest.raises(ValueError, match='fit must be one of'):
        fit_perturbation(v, (9, 13), 'crop')


def test_perturbation_files_refuse_bad_content(tmp_path):
    path = str(tmp_path / 'big.npy')
    save_perturbation(path, torch.full((3, 4, 4), 2 * EPS))
    with pytest.raises(ValueError, match='exceeds eps=10'):
        load_perturbation(path, EPS)
    np.save(str(tmp_path / 'gray.npy'), np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match='gray.npy: expected a float32'):
        load_perturbation(str(tmp_path / 'gray.npy'), EPS)
    with pytest.raises(FileNotFoundError, match='missing.npy'):
        load_perturbation(str(tmp_path / 'missing.npy'), EPS)
    with pytest.raises(ValueError, match='is \\(3, h, w\\)'):
        save_perturbation(path, torch.zeros(4, 4))


def test_fooling_rate_selector_keeps_the_best_on_gd_uaps_schedule(tiny_segmentor, seg_batch):
    space = ImageSpace(tiny_segmentor)
    pixels, _ = space.to_pixels(seg_batch(size=24))
    held_out = [pixels[:1].byte(), pixels[1:].byte()]
    selector = FoolingRateSelector(tiny_segmentor, held_out, check_every=4, patience=2)
    assert selector.fooling_rate(torch.zeros(3, 8, 8)) == 0.0
    assert 0 < selector.fooling_rate(torch.full((3, 8, 8), 120.0)) <= 1
    # uint8 held-out images are pixels like float ones (a negative perturbation included)
    v = torch.linspace(-EPS, EPS, 3 * 8 * 8).reshape(3, 8, 8)
    as_float = FoolingRateSelector(tiny_segmentor, [x.float() for x in held_out], 4)
    assert selector.fooling_rate(v) == as_float.fooling_rate(v)
    assert selector.fooling_rate(-v) == as_float.fooling_rate(-v)
    rates = iter([0.2, 0.5, 0.5, 0.4])
    selector.fooling_rate = lambda v: next(rates)
    vs = [torch.full((3, 8, 8), float(step)) for step in range(17)]
    stops = [selector.update(step, vs[step], rescaling=step == 7) for step in range(1, 16)]
    # every 4 steps, and before the halving at step 7 (3 > 4 / 2 steps since the last
    # check), counting again from there; a tie keeps the later; 2 misses in a row stop
    assert [step for step, _ in selector.history] == [4, 7, 11, 15]
    assert stops == [False] * 14 + [True]
    assert selector.best_step == 11 and selector.best_rate == 0.5
    assert torch.equal(selector.best, vs[11])
    assert torch.equal(selector.finish(15, vs[15]), vs[11])  # step 15 was checked
    with pytest.raises(ValueError, match='at least one held-out image'):
        FoolingRateSelector(tiny_segmentor, [], check_every=1)


@pytest.mark.parametrize('attack', ['uap', 'gd-uap'])
def test_crafting_returns_the_selected_perturbation_and_stops(
    attack, tiny_segmentor, tiny_classifier, seg_batch, cls_batches
):
    model = tiny_classifier if attack == 'uap' else tiny_segmentor
    pixels, _ = ImageSpace(model).to_pixels(seg_batch(size=24))
    selector = FoolingRateSelector(model, [pixels], check_every=1, patience=1)
    seen = []
    rates = iter([0.5, 0.1])

    def scripted(v):
        seen.append(v.clone())
        return next(rates)

    selector.fooling_rate = scripted
    if attack == 'uap':
        v = craft_uap(model, cls_batches(k=4), EPS, 2.0, steps=10, selector=selector)
    else:
        v = craft_gd_uap(model, (16, 16), EPS, steps=10, selector=selector)
    # checked after steps 1 and 2; no improvement at 2 ends the crafting with step 1's
    assert [step for step, _ in selector.history] == [1, 2]
    assert torch.equal(v, seen[0]) and not torch.equal(seen[0], seen[1])


def test_batches_of_several_sizes_are_padded_as_for_training(tiny_segmentor, seg_batch):
    data = seg_batch(n=2, size=8)
    data['inputs'][1] = data['inputs'][1][:, :5, :6]
    cut = data['data_samples'][1].gt_sem_seg.data[:, :5, :6]
    data['data_samples'][1].gt_sem_seg = PixelData(data=cut)
    data['data_samples'][1].gt_phantom_seg = PixelData(data=cut.clone())  # a mixed sample's
    pixels, samples = ImageSpace(tiny_segmentor).to_pixels(data)
    assert pixels.shape == (2, 3, 8, 8)
    assert (pixels[1, :, 5:] == 0).all() and (pixels[1, :, :, 6:] == 0).all()
    for gt in (samples[1].gt_sem_seg.data, samples[1].gt_phantom_seg.data):
        assert gt.shape == (1, 8, 8) and (gt[:, 5:] == 255).all() and (gt[:, :, 6:] == 255).all()
        assert torch.equal(gt[:, :5, :6], cut)
