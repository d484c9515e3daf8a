"""The test-time geometry of multi-scale CAMs: ours ('bilinear') and IRN's code ('irn':
rounded sizes, PIL's bicubic, maps to the next multiple of 16 then cropped), on hand
cases and against PIL itself."""

import numpy as np
import pytest
import torch
from PIL import Image

from wsss_mm.cams.multiscale import maps_to_image_size, multiscale_cams, rescale_images


def test_rescaled_sizes_round_half_to_even_or_floor():
    images = torch.zeros(1, 3, 27, 45)
    # 27 · 0.5 = 13.5 and 45 · 0.5 = 22.5: np.round gives 14 and 22, the floor 13 and 22
    assert rescale_images(images, 0.5, 'irn').shape[-2:] == (14, 22)
    assert rescale_images(images, 0.5, 'bilinear').shape[-2:] == (13, 22)
    assert rescale_images(images, 1.5, 'irn').shape[-2:] == (40, 68)  # 40.5, 67.5
    assert rescale_images(images, 1.5, 'bilinear').shape[-2:] == (40, 67)
    assert rescale_images(images, 1.0, 'irn') is images


@pytest.mark.parametrize('scale', [0.5, 1.5, 2.0])
def test_irn_rescale_is_pil_bicubic(scale):
    """The reference: PIL's own resize of the 8-bit image (IRN's pil_rescale). A smooth
    image in 40..215 has no overshoot to clip; PIL rounds to integers after each of its
    two passes (columns, then rows), so the two differ by at most about one grey level
    (torch's bicubic without antialiasing, a = -0.75, is off by up to 3.3 here)."""
    y, x = np.mgrid[0:23, 0:31].astype(np.float64)
    image = np.stack(
        [
            128 + 80 * np.sin(x / 4) * np.cos(y / 5),
            128 + 70 * np.cos(x / 6 + y / 7),
            128 + 60 * np.sin((x + y) / 5),
        ],
        axis=-1,
    ).round()
    image = image.astype(np.uint8)
    height, width = image.shape[:2]
    size = (int(np.round(width * scale)), int(np.round(height * scale)))
    expected = np.asarray(Image.fromarray(image).resize(size, Image.BICUBIC), np.float64)
    ours = rescale_images(torch.from_numpy(image).permute(2, 0, 1)[None].double(), scale, 'irn')
    ours = ours[0].permute(1, 2, 0).numpy()
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, atol=1.1)
    assert np.abs(ours - expected).mean() < 0.35  # ~ the mean error of rounding


def test_irn_maps_are_stretched_to_the_next_multiple_of_16_then_cropped():
    """A 1 x 2 map (0, 1) on a 1 x 10 image. 'irn': bilinear to width 16, source
    x_s = (x + 0.5) · 2 / 16 - 0.5 clamped to [0, 1], then the first 10 columns.
    'bilinear': x_s = (x + 0.5) · 2 / 10 - 0.5."""
    cams = torch.tensor([0.0, 1.0]).reshape(1, 1, 1, 2)
    x = np.arange(10) + 0.5
    irn = maps_to_image_size(cams, (1, 10), 'irn')[0, 0, 0].numpy()
    np.testing.assert_allclose(irn, np.clip(x * 2 / 16 - 0.5, 0, 1), atol=1e-6)
    assert irn[3] == 0 and irn[4] == pytest.approx(0.0625) and irn[9] == pytest.approx(0.6875)
    ours = maps_to_image_size(cams, (1, 10), 'bilinear')[0, 0, 0].numpy()
    np.testing.assert_allclose(ours, np.clip(x * 2 / 10 - 0.5, 0, 1), atol=1e-6)
    # a size that is a multiple of 16 already: both geometries agree
    torch.testing.assert_close(
        maps_to_image_size(cams, (16, 32), 'irn'), maps_to_image_size(cams, (16, 32), 'bilinear')
    )


def test_multiscale_cams_uses_the_geometry_at_every_scale():
    """A method that returns the 1 x 2 map above at any input size, and records the
    sizes it was given: with 'irn', the sum over scales is 2 x the map of the hand
    case, max-normalised by its maximum 0.6875 · 2."""
    seen = []

    def method(model, x, labels):
        seen.append(tuple(x.shape[-2:]))
        return torch.tensor([0.0, 1.0]).reshape(1, 1, 1, 2).expand(len(x), 1, 1, 2)

    images, labels = torch.zeros(1, 3, 1, 10), torch.ones(1, 1)
    cams = multiscale_cams(
        method, None, images, labels, scales=(1.0, 1.5), flip=False, geometry='irn'
    )
    assert seen == [(1, 10), (2, 15)]  # 1.5 -> round(1.5) = 2, 15
    x = np.arange(10) + 0.5
    np.testing.assert_allclose(
        cams[0, 0, 0].numpy(), np.clip(x * 2 / 16 - 0.5, 0, 1) / 0.6875, atol=1e-5
    )
    with pytest.raises(ValueError, match='geometry must be one of'):
        multiscale_cams(method, None, images, labels, geometry='pil')
