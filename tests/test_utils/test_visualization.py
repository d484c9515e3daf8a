"""CAM overlays: each map under its class name, and a colour bar of the 0..1 scale."""

import cv2
import numpy as np
import pytest

from wsss_mm.utils.visualization import _BAR, BAR_WIDTH, heat_overlay, save_cam_overlay

H, W = 48, 64


@pytest.fixture
def image(tmp_path):
    path = str(tmp_path / 'img.png')
    cv2.imwrite(path, np.full((H, W, 3), 128, np.uint8))
    return path


def test_an_overlay_names_each_class_and_has_a_colour_bar(image, tmp_path):
    cams = np.zeros((2, H, W), np.float32)
    cams[0, :, W // 2 :] = 1
    out = str(tmp_path / 'vis' / 'overlay.png')
    save_cam_overlay(out, image, cams, [12, 15], ['background'] + [f'c{i}' for i in range(1, 21)])
    vis = cv2.imread(out)  # BGR
    strip = vis.shape[0] - H
    assert vis.shape[1] == 3 * W + BAR_WIDTH and strip > 0
    # a name in the white strip above each panel: the image's and the two classes'
    for i in range(3):
        caption = vis[:strip, i * W : (i + 1) * W]
        assert caption.min() < 100 and np.median(caption) == 255
    # the colour bar beside the panels: jet's dark red at the top (1), dark blue at the bottom (0)
    bar = vis[strip:, 3 * W + _BAR[0] : 3 * W + _BAR[1]].astype(int)
    top, bottom = bar[0].mean(0), bar[-1].mean(0)
    assert top[2] > 100 and top[0] < 30 and top[1] < 30
    assert bottom[0] > 100 and bottom[2] < 30 and bottom[1] < 30
    # the first class's map: red where it is 1, blue where it is 0
    heat = vis[strip:, W : 2 * W].astype(int)
    assert heat[H // 2, -5, 2] > heat[H // 2, -5, 0] and heat[H // 2, 5, 0] > heat[H // 2, 5, 2]


def test_the_heat_map_keeps_the_0_to_1_scale():
    img = np.zeros((8, 8, 3), np.uint8)
    half = heat_overlay(img, np.full((8, 8), 0.5, np.float32), alpha=1.0)
    jet = cv2.applyColorMap(np.full((1, 1), 127, np.uint8), cv2.COLORMAP_JET)[0, 0, ::-1]
    assert half.shape == (8, 8, 3)
    assert np.abs(half.astype(int) - jet).max() <= 2  # not stretched to red by min-max


def test_default_names_and_one_label_per_map(image, tmp_path):
    cams = np.zeros((1, H, W), np.float32)
    save_cam_overlay(str(tmp_path / 'a.jpg'), image, cams, [15])
    save_cam_overlay(str(tmp_path / 'b.jpg'), image, cams)  # no labels: the maximum
    assert cv2.imread(str(tmp_path / 'b.jpg')).shape[1] == 2 * W + BAR_WIDTH
    with pytest.raises(ValueError, match='1 maps but 2 labels'):
        save_cam_overlay(str(tmp_path / 'c.jpg'), image, cams, [1, 2])
