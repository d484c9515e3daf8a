"""GroupGNN: co-attention, edges (shared classes or full), isolated nodes, groups, the
paper's summed and the code's concatenated messages."""

import pytest
import torch

from wsss_mm.models.necks import GroupGNN, group_adjacency
from wsss_mm.models.necks.group_gnn import neighbour_index


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


def test_full_edges_ignore_the_labels():
    labels = torch.tensor([[1, 0], [0, 1], [0, 0]])
    assert group_adjacency(labels, 3, edges='full').all()
    with pytest.raises(ValueError, match='edges must be one of'):
        group_adjacency(labels, 3, edges='some')


def test_neighbour_index_is_each_nodes_others_in_order():
    assert neighbour_index(3).tolist() == [[1, 2], [0, 2], [0, 1]]
    assert neighbour_index(1).shape == (1, 0)


def test_concat_aggregation_fuses_the_neighbours_in_order():
    gnn = build_gnn(
        group_size=3, aggregation='concat', edges='full', dropout=None, gru_kernel_size=1
    ).eval()
    assert not hasattr(gnn, 'query') and gnn.fusion.in_channels == 16
    assert gnn.gru.update_gate.kernel_size == (1, 1)
    x = torch.randn(3, 8, 4, 4)
    gated = gnn.pair_messages(x, torch.ones(1, 3, 3, dtype=torch.bool))
    assert torch.all(gated[0, range(3), range(3)] == 0)  # no message to itself
    fused = gnn.neighbour_messages(x, torch.ones(1, 3, 3, dtype=torch.bool))
    # node 1 fuses [m_01, m_21]: the concatenation of its two neighbours' messages
    expected = gnn.fusion(torch.cat([gated[0, 1, 0], gated[0, 1, 2]]).view(1, 16, 4, 4))
    torch.testing.assert_close(fused[1:2], expected)
    # a group of two (group inference) leaves the second slot empty
    pair = gnn.neighbour_messages(x[:2], torch.ones(1, 2, 2, dtype=torch.bool))
    gated2 = gnn.pair_messages(x[:2], torch.ones(1, 2, 2, dtype=torch.bool))
    lone = torch.cat([gated2[0, 0, 1], torch.zeros(8, 16)]).view(1, 16, 4, 4)
    torch.testing.assert_close(pair[:1], gnn.fusion(lone))
    # a single image: zero messages, the fusion's bias
    assert gnn(x[:1]).shape == (1, 8, 4, 4)
    with pytest.raises(ValueError, match='too large'):
        gnn(torch.randn(4, 8, 4, 4), torch.ones(4, 2), group_size=4)


def test_biases_follow_the_options():
    gnn = build_gnn(proj_bias=True, gate_bias=False, reduction=2)
    assert gnn.proj_p.bias is not None and gnn.proj_q.bias is not None
    assert gnn.gate.bias is None and gnn.proj_p.out_channels == 4
    with pytest.raises(ValueError, match='aggregation must be one of'):
        build_gnn(aggregation='mean')
