"""wsss_mm.apis.eval_xai: the scores of the masked images of the explained classes
(none for an image without classes); unknown or no methods and classes refused."""

import pytest
import torch

from wsss_mm.apis import eval_xai
from wsss_mm.apis.eval_xai import explanation_scores
from wsss_mm.apis.train import load_config


def test_explanation_scores_of_an_image_without_classes(tiny_cam_network, build_method):
    model = tiny_cam_network(num_classes=3)
    torch.manual_seed(0)
    inputs = torch.randn(2, 3, 32, 32)
    explained = torch.tensor([[1.0, 0, 1], [0, 0, 0]])
    method = build_method('CAM')
    masked, complement = explanation_scores(model, method, inputs, explained, 4)
    alone = explanation_scores(model, method, inputs[:1], explained[:1], 4)
    assert masked.shape == complement.shape == (2, 3)
    assert torch.allclose(masked, alone[0], atol=1e-6)
    assert torch.allclose(complement, alone[1], atol=1e-6)

    def never(*args):
        raise AssertionError('a CAM method ran for an image without classes')

    masked, complement = explanation_scores(model, never, inputs[1:], explained[1:], 4)
    assert masked.shape == complement.shape == (0, 3)


def test_eval_xai_rejects_unknown_or_no_methods_and_classes(quickstart_config, run_tool):
    cfg = load_config(quickstart_config)
    with pytest.raises(KeyError, match='unknown CAM method "NoSuchCAM"'):
        eval_xai(cfg, None, ['CAM', 'NoSuchCAM'])
    with pytest.raises(ValueError, match='at least one'):
        eval_xai(cfg, None, [])
    with pytest.raises(ValueError, match='classes must be one of'):
        eval_xai(cfg, None, ['CAM'], classes='gt')
    proc = run_tool(
        'tools/eval_xai.py', quickstart_config, 'none.pth', '--classes', 'gt', check=False
    )
    assert proc.returncode == 2 and "--classes: invalid choice: 'gt'" in proc.stderr
