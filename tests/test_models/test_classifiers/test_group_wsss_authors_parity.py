"""Group-WSSS's authors' preset against a re-statement of the authors' code.

The reference below restates ``Lixy1997/Group-WSSS`` (``models/vgg_gnn.py``:
``CoattentionModel.forward``, ``generate_attention``, ``GDL``;
``models/ConvGRU.py``; ``train.py``'s loss) node by node, as the code runs it
(one group of three per forward pass), from raw weight tensors with
``F.conv2d`` / ``torch.bmm``: nothing of the library but the backbone, whose
output both sides share. The library's network takes the same weights and must
give the same logits, loss and maps in float64 (graph dropout off).
"""

import numpy as np
import torch
import torch.nn.functional as F
from mmseg.structures import SegDataSample

from wsss_mm.datasets.samplers import GroupSampler
from wsss_mm.models.layers import GraphDropout
from wsss_mm.registry import MODELS

NUM_CLASSES = 4
FEAT_CHANNELS = 8

BACKBONE = dict(
    type='mmpretrain.ResNet',
    depth=18,
    base_channels=1,
    stem_channels=2,
    strides=(1, 2, 1, 1),
    out_indices=(3,),
)


def authors_network():
    """The library's network with every option of the authors' preset, dropout off."""
    torch.manual_seed(0)
    model = MODELS.build(
        dict(
            type='GroupWSSS',
            backbone=BACKBONE,
            head=dict(
                type='GAPClassifierHead',
                in_channels=FEAT_CHANNELS,
                num_classes=NUM_CLASSES,
                bias=True,
                loss=dict(type='MultiLabelSoftMarginLoss', loss_weight=0.5),
            ),
            graph_nodes='class_maps',
            gnn=dict(
                type='GroupGNN',
                in_channels=NUM_CLASSES,
                group_size=3,
                num_rounds=3,
                reduction=2,
                aggregation='concat',
                edges='full',
                proj_bias=True,
                gate_bias=False,
                gru_kernel_size=1,
                dropout=None,
            ),
            lambda_pre=0.4,
            cam_source='ensemble',
        )
    )
    with torch.no_grad():  # weights large enough for the graph to matter
        for param in model.gnn.parameters():
            param.normal_(0, 0.5)
    return model.double().train()


def mapped_weights(model):
    """The authors' parameter names -> the library's tensors."""
    gnn = model.gnn
    return {
        'extra_convs.last.weight': model.head.classifier.weight,
        'extra_convs.last.bias': model.head.classifier.bias,
        'extra_proja.weight': gnn.proj_p.weight,
        'extra_proja.bias': gnn.proj_p.bias,
        'extra_projb.weight': gnn.proj_q.weight,
        'extra_projb.bias': gnn.proj_q.bias,
        'extra_gate.weight': gnn.gate.weight,
        'extra_conv_fusion.weight': gnn.fusion.weight,
        'extra_conv_fusion.bias': gnn.fusion.bias,
        'extra_ConvGRU.reset_gate.weight': gnn.gru.reset_gate.weight,
        'extra_ConvGRU.reset_gate.bias': gnn.gru.reset_gate.bias,
        'extra_ConvGRU.update_gate.weight': gnn.gru.update_gate.weight,
        'extra_ConvGRU.update_gate.bias': gnn.gru.update_gate.bias,
        'extra_ConvGRU.out_gate.weight': gnn.gru.candidate.weight,
        'extra_ConvGRU.out_gate.bias': gnn.gru.candidate.bias,
    }


# ---- the authors' code, restated ------------------------------------------------
def generate_attention(w, exemplar, query):
    """``CoattentionModel.generate_attention``: query's message to exemplar."""
    channels = exemplar.shape[1]
    exemplar_low = F.conv2d(exemplar, w['extra_proja.weight'], w['extra_proja.bias'])
    query_low = F.conv2d(query, w['extra_projb.weight'], w['extra_projb.bias'])
    n, c, h, wd = exemplar_low.shape
    exemplar_t = exemplar_low.view(n, c, h * wd).transpose(1, 2)
    a = torch.bmm(exemplar_t, query_low.view(n, c, h * wd))
    b = F.softmax(a.transpose(1, 2), dim=1)
    att = torch.bmm(query.view(n, channels, h * wd), b).view(-1, channels, h, wd)
    mask = torch.sigmoid(F.conv2d(att, w['extra_gate.weight']))
    return att * mask


def conv_gru(w, input_, prev_state):
    """``models/ConvGRU.py``'s ``ConvGRUCell.forward`` (kernel 1)."""
    g = 'extra_ConvGRU.'
    stacked = torch.cat([input_, prev_state], dim=1)
    update = torch.sigmoid(
        F.conv2d(stacked, w[g + 'update_gate.weight'], w[g + 'update_gate.bias'])
    )
    reset = torch.sigmoid(F.conv2d(stacked, w[g + 'reset_gate.weight'], w[g + 'reset_gate.bias']))
    out = torch.tanh(
        F.conv2d(
            torch.cat([input_, prev_state * reset], dim=1),
            w[g + 'out_gate.weight'],
            w[g + 'out_gate.bias'],
        )
    )
    return prev_state * (1 - update) + out * update


def authors_forward(w, feats1, feats2, feats3, rounds=3):
    """``CoattentionModel.forward`` on one group (the code's batch of 1) from the
    extra convs' features on: the pre- and post-graph logits of the three nodes,
    and the anchor's ``relu((map1 + map) / 2)``."""

    def fuse(a, b):
        return F.conv2d(
            torch.cat([a, b], 1),
            w['extra_conv_fusion.weight'],
            w['extra_conv_fusion.bias'],
            padding=1,
        )

    cls_w, cls_b = w['extra_convs.last.weight'], w['extra_convs.last.bias']
    x1, x2, x3 = (F.conv2d(f, cls_w, cls_b) for f in (feats1, feats2, feats3))
    pre = [F.avg_pool2d(x, kernel_size=x.shape[2:]).view(-1, NUM_CLASSES) for x in (x1, x2, x3)]
    exemplar, query, query1 = x1, x2, x3
    for _ in range(rounds):
        attention1 = fuse(
            generate_attention(w, exemplar, query), generate_attention(w, exemplar, query1)
        )
        attention2 = fuse(
            generate_attention(w, query, exemplar), generate_attention(w, query, query1)
        )
        attention3 = fuse(
            generate_attention(w, query1, exemplar), generate_attention(w, query1, query)
        )
        exemplar, query, query1 = (
            conv_gru(w, attention1, exemplar),
            conv_gru(w, attention2, query),
            conv_gru(w, attention3, query1),
        )
    post = [
        F.avg_pool2d(x, kernel_size=x.shape[2:]).view(-1, NUM_CLASSES)
        for x in (exemplar, query, query1)
    ]
    atts = (exemplar + x1) / 2
    atts[atts < 0] = 0
    return pre, post, atts


def gdl(x, random_value, drop_rate=0.8, drop_th=0.7):
    """``GDL.forward`` with its ``torch.rand([])`` given."""
    attention = torch.mean(x, dim=1, keepdim=True)
    importance_map = torch.sigmoid(attention)
    max_val = attention.view(x.shape[0], -1).max(dim=1, keepdim=True)[0]
    drop_mask = (attention < (max_val * drop_th).view(-1, 1, 1, 1)).float()
    binary = np.floor(random_value + drop_rate)
    selected = (1.0 - binary) * importance_map + binary * drop_mask
    return (x * selected + x) / 2


# ---- the tests -------------------------------------------------------------------
def samples(labels):
    out = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_labels = torch.tensor(label, dtype=torch.float64)
        out.append(sample)
    return out


def test_authors_preset_equals_the_authors_forward_in_float64():
    model = authors_network()
    w = {k: v.detach() for k, v in mapped_weights(model).items()}
    inputs = torch.randn(6, 3, 24, 24, dtype=torch.float64)  # two groups of three
    labels = torch.tensor(
        [[1, 0, 0, 0], [1, 0, 0, 0], [1, 0, 0, 0], [0, 1, 1, 0], [0, 1, 1, 0], [0, 1, 1, 0]],
        dtype=torch.float64,
    )
    model.record_train_cams = True
    losses = model.loss(inputs, samples(labels.tolist()))
    record = model.train_cams
    with torch.no_grad():
        feats = model.backbone(inputs)[-1]
    expected_loss = 0.0
    for g in range(2):
        rows = slice(3 * g, 3 * g + 3)
        f = feats[rows]
        pre, post, atts = authors_forward(w, f[0:1], f[1:2], f[2:3])
        y = labels[rows]
        expected_loss = (
            expected_loss
            + (
                0.4 * sum(F.multilabel_soft_margin_loss(p, y[i : i + 1]) for i, p in enumerate(pre))
                + sum(F.multilabel_soft_margin_loss(p, y[i : i + 1]) for i, p in enumerate(post))
            )
            / 6
        )
        # the anchor's map and score, as the code writes them
        torch.testing.assert_close(record['cams'][3 * g].clamp(min=0), atts[0], rtol=0, atol=1e-12)
        torch.testing.assert_close(
            record['scores'][3 * g], torch.sigmoid(post[0][0]), rtol=0, atol=1e-12
        )
    # the batch of two groups averages the code's per-group losses
    torch.testing.assert_close(
        sum(losses.values()).detach(), expected_loss.detach() / 2, rtol=0, atol=1e-12
    )


def test_authors_graph_dropout_is_the_codes_gdl_drawn_per_node():
    x = torch.randn(2, 3, 4, 5)
    layer = GraphDropout(drop_rate=0.8, drop_threshold=0.7, mode='authors', draw='node')
    # node 0 drops (the code's draw 0.5 + 0.8 floors to 1), node 1 takes the importance map
    # (0.1 + 0.8 floors to 0)
    drop = torch.tensor([True, False])
    out = (x * layer.mask(x, drop) + x) / 2
    torch.testing.assert_close(out[:1], gdl(x[:1], 0.5))
    torch.testing.assert_close(out[1:], gdl(x[1:], 0.1))
    # a hand case: channel means [[1, 5], [4, 2]]: 0.7 * 5 = 3.5 drops 5 and 4
    att = torch.tensor([[1.0, 5.0], [4.0, 2.0]])
    hand = torch.stack([att - 1, att + 1], dim=0)[None]  # (1, 2, 2, 2)
    dropped = GraphDropout(drop_rate=1.0, mode='authors', draw='node').train()(hand)
    mask = torch.tensor([[1.0, 0.0], [0.0, 1.0]])
    torch.testing.assert_close(dropped, (hand * mask + hand) / 2)
    torch.testing.assert_close(dropped, gdl(hand, 0.0, drop_rate=1.0))
    # one draw per node: a batch of identical nodes holds both masks at once
    torch.manual_seed(0)
    many = GraphDropout(drop_rate=0.5, mode='authors', draw='node').train()(
        hand.repeat(64, 1, 1, 1)
    )
    kinds = {tuple(node.flatten().tolist()) for node in many}
    assert len(kinds) == 2
    batch = GraphDropout(drop_rate=0.5, mode='authors', draw='batch').train()
    assert all(
        len({tuple(n.flatten().tolist()) for n in batch(hand.repeat(8, 1, 1, 1))}) == 1
        for _ in range(5)
    )


class LabelDataset:
    def __init__(self, class_sets, num_classes=5):
        self.infos = []
        for classes in class_sets:
            label = np.zeros(num_classes, dtype=np.float32)
            label[list(classes)] = 1
            self.infos.append({'gt_labels': label})

    def __len__(self):
        return len(self.infos)

    def get_data_info(self, idx):
        return self.infos[idx]


def test_identical_partners_share_the_exact_label_vector():
    rng = np.random.default_rng(0)
    class_sets = [set(rng.choice(3, size=rng.integers(1, 3), replace=False)) for _ in range(40)]
    # label vectors no other image has: partners hold one class of the anchor, drawn
    # once per anchor (the code's fallback)
    class_sets += [{3, 4}, {3}, {4}]
    dataset = LabelDataset(class_sets)
    sampler = GroupSampler(dataset, group_size=3, seed=0, partners='identical')
    fallbacks = set()
    for epoch in range(6):
        sampler.set_epoch(epoch)
        groups = np.asarray(list(sampler)).reshape(-1, 3)
        assert sorted(groups[:, 0].tolist()) == list(range(len(dataset)))
        for anchor, *partners in groups.tolist():
            assert anchor not in partners
            if anchor < 40:
                assert all(class_sets[p] == class_sets[anchor] for p in partners)
            elif anchor == 40:
                assert partners in ([41, 41], [42, 42])
                fallbacks.add(partners[0])
            else:
                assert partners == [40, 40]
    assert fallbacks == {41, 42}
