"""GroupGNN: co-attention, edges from shared classes, isolated nodes, groups."""

import pytest
import torch

from wsss_mm.models.necks import GroupGNN, group_adjacency


def build_gnn(**kwargs):
    torch.manual_seed(0)
    cfg = dict(in_channels=8, group_size=4, num_rounds=2, reduction=4)
    cfg.update(kwargs)
    return GroupGNN(**cfg)


def test_pair_scores_shapes_and_symmetry_when_p_equals_q():
    gnn = build_gnn()
    nodes = torch.randn(2, 4, 8, 3, 5)
    scores = gnn.pair_scores(nodes)
    assert scores.shape == (2, 4, 4, 15, 15)
    p = gnn.proj_p(nodes[0, 1]).flatten(1)
    q = gnn.proj_q(nodes[0, 2]).flatten(1)
    torch.testing.assert_close(scores[0, 1, 2], p.T @ q)
    with torch.no_grad():
        gnn.proj_q.weight.copy_(gnn.proj_p.weight)
    scores = gnn.pair_scores(nodes)
    torch.testing.assert_close(scores.transpose(1, 2), scores.transpose(-1, -2))


def test_group_adjacency_joins_images_sharing_a_class():
    labels = torch.tensor(
        [
            [1, 0, 0],
            [1, 1, 0],
            [0, 1, 0],
            [0, 0, 1],
            [0, 0, 0],
            [1, 1, 1],
        ]
    )
    adjacency = group_adjacency(labels, 3)
    expected = torch.tensor(
        [
            [[1, 1, 0], [1, 1, 1], [0, 1, 1]],
            [[1, 0, 1], [0, 1, 0], [1, 0, 1]],
        ],
        dtype=torch.bool,
    )
    assert adjacency.dtype == torch.bool
    assert torch.equal(adjacency, expected)


def test_forward_keeps_shape_and_isolated_node_equals_its_lone_output():
    gnn = build_gnn().eval()
    feats = torch.randn(4, 8, 4, 4)
    labels = torch.tensor([[1, 0, 0], [1, 1, 0], [0, 1, 0], [0, 0, 1]])
    out = gnn(feats, labels)
    assert out.shape == feats.shape
    alone = gnn(feats[3:], labels[3:], group_size=1)
    torch.testing.assert_close(out[3:], alone)
    # inference without labels: self-edges only, the same for the isolated node
    torch.testing.assert_close(gnn(feats)[3:], alone)
    # connected nodes do get messages
    assert not torch.allclose(out[:1], gnn(feats[:1]))


def test_gradients_reach_all_parameters_in_training():
    gnn = build_gnn(dropout=dict(type='GraphDropout', drop_rate=0.0)).train()
    feats = torch.randn(4, 8, 4, 4, requires_grad=True)
    labels = torch.ones(4, 2)
    gnn(feats, labels).sum().backward()
    assert feats.grad is not None
    assert all(p.grad is not None for p in gnn.parameters())


def test_batch_not_a_multiple_of_group_size_raises():
    gnn = build_gnn()
    with pytest.raises(ValueError, match='6 images.*groups of 4'):
        gnn(torch.randn(6, 8, 4, 4), torch.ones(6, 3))
    with pytest.raises(ValueError, match='3 label rows for 4 images'):
        gnn(torch.randn(4, 8, 4, 4), torch.ones(3, 3))
