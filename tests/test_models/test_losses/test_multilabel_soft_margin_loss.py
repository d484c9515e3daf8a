"""The multi-label soft margin loss with label smoothing."""

import pytest
import torch

from wsss_mm.models.losses import MultiLabelSoftMarginLoss


def test_label_smoothing_targets():
    loss = MultiLabelSoftMarginLoss(label_smoothing=0.1)
    logits = torch.zeros(1, 2)
    labels = torch.tensor([[1.0, 0.0]])
    expected = torch.nn.functional.multilabel_soft_margin_loss(logits, torch.tensor([[0.95, 0.05]]))
    assert torch.allclose(loss(logits, labels), expected)
    with pytest.raises(ValueError, match='label_smoothing'):
        MultiLabelSoftMarginLoss(label_smoothing=1.0)
