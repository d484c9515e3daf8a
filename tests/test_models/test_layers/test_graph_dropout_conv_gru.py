"""ConvGRUCell on a hand-made case; GraphDropout's masks, modes and eval identity."""

import pytest
import torch

import wsss_mm
from wsss_mm.models.layers import ConvGRUCell, GraphDropout
from wsss_mm.registry import MODELS


@pytest.fixture(scope='module', autouse=True)
def registered():
    wsss_mm.register_all_modules(init_default_scope=False)


def test_conv_gru_update_follows_the_formula():
    cell = ConvGRUCell(1, 1, kernel_size=3)
    with torch.no_grad():
        for conv in (cell.update_gate, cell.reset_gate, cell.candidate):
            conv.weight.zero_()
            conv.bias.zero_()
        cell.update_gate.bias.fill_(0.5)  # z = sigmoid(0.5) everywhere
        cell.reset_gate.bias.fill_(-1.0)  # r = sigmoid(-1)
        cell.candidate.weight[0, 0, 1, 1] = 2.0  # centre tap on the message
        cell.candidate.weight[0, 1, 1, 1] = 3.0  # centre tap on r * hidden
    message = torch.randn(2, 1, 4, 5)
    hidden = torch.randn(2, 1, 4, 5)
    z = torch.sigmoid(torch.tensor(0.5))
    r = torch.sigmoid(torch.tensor(-1.0))
    expected = (1 - z) * hidden + z * torch.tanh(2 * message + 3 * r * hidden)
    torch.testing.assert_close(cell(message, hidden), expected)
    # z = 0 keeps the state
    with torch.no_grad():
        cell.update_gate.bias.fill_(-1e4)
    torch.testing.assert_close(cell(message, hidden), hidden)


def test_conv_gru_checks_shapes():
    cell = ConvGRUCell(2, 3)
    assert cell(torch.randn(2, 2, 5, 5), torch.randn(2, 3, 5, 5)).shape == (2, 3, 5, 5)
    with pytest.raises(ValueError, match='map size'):
        cell(torch.randn(2, 2, 5, 5), torch.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match='odd'):
        ConvGRUCell(2, 3, kernel_size=2)


def make_features():
    # channel mean = [[0, 1], [2, 10]] for image 0 and [[4, 3], [2, 1]] for image 1
    att = torch.tensor([[[0.0, 1.0], [2.0, 10.0]], [[4.0, 3.0], [2.0, 1.0]]])
    return torch.stack([att - 1, att + 1], dim=1)  # (2, 2, 2, 2)


def test_graph_dropout_is_identity_in_eval():
    layer = MODELS.build(dict(type='GraphDropout', drop_rate=1.0)).eval()
    x = make_features()
    assert layer(x) is x


def test_graph_dropout_drop_mask_hides_positions_above_threshold_of_image_max():
    layer = GraphDropout(drop_rate=1.0, drop_threshold=0.7).train()
    x = make_features()
    # image 0: 0.7 * 10 = 7 drops only the 10; image 1: 0.7 * 4 = 2.8 drops 4 and 3
    mask = torch.tensor([[[1.0, 1.0], [1.0, 0.0]], [[0.0, 0.0], [1.0, 1.0]]]).unsqueeze(1)
    torch.testing.assert_close(layer.mask(x, drop=True), mask)
    torch.testing.assert_close(layer(x), x * mask)
    authors = GraphDropout(drop_rate=1.0, mode='authors').train()
    torch.testing.assert_close(authors(x), (x * mask + x) / 2)


def test_graph_dropout_importance_branch_is_sigmoid_of_channel_mean():
    layer = GraphDropout(drop_rate=0.0).train()
    x = make_features()
    torch.testing.assert_close(layer(x), x * torch.sigmoid(x.mean(1, keepdim=True)))


def test_graph_dropout_draws_the_drop_mask_with_probability_drop_rate():
    layer = GraphDropout(drop_rate=0.8).train()
    x = make_features()
    dropped = x * layer.mask(x, drop=True)
    torch.manual_seed(0)
    hits = sum(torch.equal(layer(x), dropped) for _ in range(500))
    assert 0.72 < hits / 500 < 0.88


def test_graph_dropout_rejects_bad_arguments():
    with pytest.raises(ValueError, match='mode'):
        GraphDropout(mode='code')
    with pytest.raises(ValueError, match='drop_rate'):
        GraphDropout(drop_rate=1.5)
