"""The stack fixes of wsss_mm.compat."""

import fractions
import sys

import numpy as np
import pytest
import torch

from wsss_mm import compat


def brute_force_nms(boxes, scores, thr):
    keep, alive = [], list(scores.argsort(descending=True).tolist())
    while alive:
        i = alive.pop(0)
        keep.append(i)
        x1 = torch.maximum(boxes[i, 0], boxes[alive, 0])
        y1 = torch.maximum(boxes[i, 1], boxes[alive, 1])
        x2 = torch.minimum(boxes[i, 2], boxes[alive, 2])
        y2 = torch.minimum(boxes[i, 3], boxes[alive, 3])
        inter = (x2 - x1).clamp(min=0) * (y2 - y1).clamp(min=0)
        area = lambda b: (b[..., 2] - b[..., 0]) * (b[..., 3] - b[..., 1])  # noqa: E731
        iou = inter / (area(boxes[i]) + area(boxes[alive]) - inter)
        alive = [a for a, v in zip(alive, iou.tolist()) if v <= thr]
    return keep


def test_nms_stand_in_matches_brute_force_and_serves_torchvision():
    gen = torch.Generator().manual_seed(0)
    xy = torch.rand(50, 2, generator=gen) * 100
    boxes = torch.cat([xy, xy + 5 + torch.rand(50, 2, generator=gen) * 30], 1)
    scores = torch.rand(50, generator=gen)
    keep = compat.nms_reference(boxes, scores, 0.4)
    assert keep.dtype == torch.int64 and keep.tolist() == brute_force_nms(boxes, scores, 0.4)
    assert compat.nms_reference(boxes[:0], scores[:0], 0.4).tolist() == []
    if compat.APPLIED['torchvision_ops']:  # torchvision imports, its nms is the stand-in
        import torchvision

        assert torchvision.ops.nms(boxes, scores, 0.4).tolist() == keep.tolist()


def test_fixes_are_idempotent():
    assert compat.patch_torchvision_ops() is False  # torchvision already imported
    assert compat.patch_mmcv_ext() is False  # mmcv._ext already present
    assert compat.allow_checkpoint_globals() is True


def test_mmseg_imports_and_missing_ops_raise_clearly():
    if not compat.APPLIED['mmcv_ext']:
        pytest.skip('the compiled mmcv is installed: the stand-in is not used')
    from mmcv.ops import nms
    from mmseg.models.decode_heads import ASPPHead  # noqa: F401  (needs mmcv._ext)

    with pytest.raises(NotImplementedError, match='nms.*mmcv'):
        nms(torch.rand(3, 4), torch.rand(3), 0.5)
    ext = sys.modules['mmcv._ext']
    assert ext.__spec__ is not None
    with pytest.raises(AttributeError):
        ext.__file__  # noqa: B018  (dunders are not ops)


def test_weights_only_loading_stays_on_and_mmengine_types_load(tmp_path):
    from mmengine.logging.history_buffer import HistoryBuffer

    buf = HistoryBuffer()
    buf.update(1.5)
    obj = {
        'buf': buf,
        'arr': np.arange(3, dtype=np.float32),
        'f': np.float64(2.0),
        'i': np.int64(3),
        'w': torch.ones(2),
    }
    path = tmp_path / 'ckpt.pth'
    torch.save(obj, path)
    loaded = torch.load(path, weights_only=True)
    assert loaded['buf'].current() == 1.5
    assert loaded['arr'].tolist() == [0, 1, 2]

    # any other type is still refused: the protection stays on
    torch.save({'x': fractions.Fraction(1, 3)}, tmp_path / 'bad.pth')
    with pytest.raises(Exception, match='Fraction|Unsupported global'):
        torch.load(tmp_path / 'bad.pth', weights_only=True)


def test_adjust_hue_takes_negative_shifts_modulo_256():
    import cv2
    import mmcv
    from mmpretrain.datasets.transforms import ColorJitter

    img = np.random.default_rng(0).integers(0, 256, (16, 16, 3), dtype=np.uint8)
    hsv = cv2.cvtColor(img, cv2.COLOR_BGR2HSV_FULL)
    for factor, shift in ((-25.5 / 255, -25), (25.5 / 255, 25)):
        moved = hsv.copy()
        moved[..., 0] = (moved[..., 0].astype(int) + shift) % 256
        expected = cv2.cvtColor(moved, cv2.COLOR_HSV2BGR_FULL)
        assert (compat.adjust_hue(img, factor, backend='cv2') == expected).all()
    shifted = compat.adjust_hue(img, -0.2, backend='pillow')
    back = compat.adjust_hue(shifted, 0.2, backend='pillow')
    assert back.dtype == np.uint8 and np.abs(back.astype(int) - img).mean() < 8
    with pytest.raises(ValueError, match='not in'):
        compat.adjust_hue(img, 0.7)
    if compat.APPLIED['adjust_hue']:  # mmcv's, and so mmpretrain's ColorJitter, is ours
        assert mmcv.adjust_hue is compat.adjust_hue
        jitter = ColorJitter(hue=0.1)
        for _ in range(10):
            assert jitter(dict(img=img.copy()))['img'].shape == img.shape
