"""FGSM and PGD on a tiny segmentor: pixel units, the ε-ball, the loss they raise."""

import pytest
import torch

from wsss_mm.attacks import ImageSpace, fgsm, pgd, segmentation_loss

EPS = 8.0


def loss_at(model, space, pixels, samples):
    with torch.no_grad():
        return segmentation_loss(model, space.normalize(pixels), samples).item()


def test_image_space_matches_the_preprocessor(tiny_segmentor, seg_batch):
    data = seg_batch()
    space = ImageSpace(tiny_segmentor)
    pixels, _ = space.to_pixels(data)
    assert pixels.shape == (2, 3, 32, 32)
    assert pixels.min() >= 0 and pixels.max() <= 255
    # RGB: channel 0 of the pixels is the loaded image's last (BGR) channel
    assert torch.equal(pixels[0, 0], data['inputs'][0][2].float())
    expected = tiny_segmentor.data_preprocessor(data, False)['inputs']
    assert torch.allclose(space.normalize(pixels), expected, atol=1e-5)


def test_fgsm_raises_the_loss_within_eps(tiny_segmentor, seg_batch):
    space = ImageSpace(tiny_segmentor)
    pixels, samples = space.to_pixels(seg_batch())
    adv = fgsm(tiny_segmentor, space, pixels, samples, EPS)
    assert (adv - pixels).abs().max() <= EPS + 1e-4
    assert adv.min() >= 0 and adv.max() <= 255
    assert loss_at(tiny_segmentor, space, adv, samples) > loss_at(
        tiny_segmentor, space, pixels, samples
    )


def test_pgd_stays_in_the_ball_and_beats_fgsm(tiny_segmentor, seg_batch):
    space = ImageSpace(tiny_segmentor)
    pixels, samples = space.to_pixels(seg_batch())
    adv_fgsm = fgsm(tiny_segmentor, space, pixels, samples, EPS)
    for random_start in (False, True):
        adv = pgd(
            tiny_segmentor,
            space,
            pixels,
            samples,
            EPS,
            step_size=EPS / 4,
            steps=10,
            random_start=random_start,
            generator=torch.Generator().manual_seed(0),
        )
        assert (adv - pixels).abs().max() <= EPS + 1e-4
        assert adv.min() >= 0 and adv.max() <= 255
        assert loss_at(tiny_segmentor, space, adv, samples) >= loss_at(
            tiny_segmentor, space, adv_fgsm, samples
        )


def test_white_box_attacks_refuse_bad_input(tiny_segmentor, tiny_classifier, seg_batch):
    space = ImageSpace(tiny_segmentor)
    pixels, samples = space.to_pixels(seg_batch())
    with pytest.raises(ValueError, match='steps must be >= 1'):
        pgd(tiny_segmentor, space, pixels, samples, EPS, 1.0, steps=0)
    with pytest.raises(TypeError, match='no inference'):
        fgsm(tiny_classifier, ImageSpace(tiny_classifier), pixels, samples, EPS)
