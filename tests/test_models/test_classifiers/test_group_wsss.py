"""The Group-WSSS CAM network: Eq. 12's loss over whole groups, and its CAM sources."""

import pytest
import torch
from mmseg.structures import SegDataSample

from wsss_mm.models import CAMClassifier
from wsss_mm.registry import MODELS

BACKBONE = dict(
    type='mmpretrain.ResNet',
    depth=18,
    base_channels=4,
    stem_channels=4,
    strides=(1, 2, 1, 1),
    out_indices=(3,),
)


def build(cam_source='ensemble'):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='GroupWSSS',
            backbone=BACKBONE,
            head=dict(type='GAPClassifierHead', in_channels=32, num_classes=3),
            aux_head=dict(type='GAPClassifierHead', in_channels=32, num_classes=3),
            gnn=dict(type='GroupGNN', in_channels=32, group_size=2, num_rounds=2),
            lambda_pre=0.4,
            cam_source=cam_source,
        )
    )


def samples(labels):
    out = []
    for label in labels:
        sample = SegDataSample()
        sample.gt_labels = torch.tensor(label, dtype=torch.float32)
        out.append(sample)
    return out


def test_loss_is_eq_12_over_whole_groups():
    model = build().train()
    x = torch.randn(4, 3, 32, 32)
    labels = [[1, 0, 0], [1, 1, 0], [0, 0, 1], [0, 0, 1]]
    losses = model.loss(x, samples(labels))
    assert set(losses) == {'loss_cls', 'loss_pre'}
    sum(losses.values()).backward()
    assert next(model.gnn.parameters()).grad is not None
    assert model.aux_head.classifier.weight.grad is not None
    with pytest.raises(ValueError, match='not made of groups of 2'):
        model.loss(x[:3], samples(labels[:3]))


@pytest.mark.parametrize('source', ['intermediate', 'graph', 'ensemble'])
def test_cam_sources_keep_the_protocol(source):
    model = build(source).eval()
    x = torch.randn(3, 3, 32, 32)  # any batch at inference: single-image graphs
    feats = model.extract_feat(x)
    weights = model.cam_weights()
    assert feats.shape[1] == weights.shape[1] == (64 if source == 'ensemble' else 32)
    logits = model.predict_logits(feats)
    if source == 'intermediate':
        assert torch.allclose(logits, model.aux_head(feats), atol=1e-6)
    if source == 'ensemble':
        h0, h_t = feats[:, :32], feats[:, 32:]
        average = (model.aux_head(h0) + model.head(h_t)) / 2
        assert torch.allclose(logits, average, atol=1e-6)


def test_bad_cam_source():
    with pytest.raises(ValueError, match='cam_source must be one of'):
        build('both')


def test_grouped_inference_uses_the_group_edges():
    model = build('graph').eval()
    x = torch.randn(2, 3, 32, 32)
    with torch.no_grad():
        alone = model.extract_feat(x)
        with model.grouped(torch.tensor([[1.0, 0, 0], [1.0, 1, 0]])):  # they share class 0
            linked = model.extract_feat(x)
            # copies of the group (the images then their flips) are separate graphs
            copies = model.extract_feat(torch.cat([x, x]))
            with pytest.raises(ValueError, match='not copies of the group of 2'):
                model.extract_feat(x[:1])
        with model.grouped(torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])):  # no shared class
            unlinked = model.extract_feat(x)
        after = model.extract_feat(x)
    assert not torch.allclose(linked, alone, atol=1e-4)
    assert torch.allclose(copies, torch.cat([linked, linked]), atol=1e-5)
    assert torch.allclose(unlinked, alone, atol=1e-5)  # self-edges only
    assert torch.equal(after, alone)


def build_authors(cam_source='ensemble'):
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='GroupWSSS',
            backbone=BACKBONE,
            head=dict(type='GAPClassifierHead', in_channels=32, num_classes=3, bias=True),
            graph_nodes='class_maps',
            gnn=dict(type='GroupGNN', in_channels=3, group_size=2, num_rounds=2, reduction=1),
            cam_source=cam_source,
        )
    )


@pytest.mark.parametrize('source', ['intermediate', 'graph', 'ensemble'])
def test_class_map_nodes_keep_the_protocol(source):
    model = build_authors(source).eval()
    x = torch.randn(2, 3, 32, 32)
    feats = model.extract_feat(x)
    assert feats.shape[1] == (6 if source == 'ensemble' else 3)
    # the CAMs are the class maps (with the classifier's bias) and the logits their mean
    cams = model.class_maps(feats)
    torch.testing.assert_close(model.predict_logits(feats), cams.mean(dim=(2, 3)))
    if source == 'intermediate':
        h0 = CAMClassifier.extract_feat(model, x)
        torch.testing.assert_close(cams, model.head.class_maps(h0))
        torch.testing.assert_close(model.predict_logits(feats), model.head(h0))


def test_shared_readout_and_recorded_training_maps():
    model = build_authors().train()
    assert model.aux_head is None and model.pre_head is model.head
    x = torch.randn(4, 3, 32, 32)
    losses = model.loss(x, samples([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 1]]))
    assert set(losses) == {'loss_cls', 'loss_pre'} and model.train_cams is None
    model.record_train_cams = True
    model.loss(x, samples([[1, 0, 0], [1, 0, 0], [0, 1, 0], [0, 1, 1]]))
    record = model.train_cams
    assert record['cams'].shape == (4, 3, 4, 4) and record['scores'].shape == (4, 3)
    assert record['group_size'] == 2 and record['input_shape'] == (32, 32)
    assert not record['cams'].requires_grad
    # feature nodes with one shared readout: the head reads out both
    shared = MODELS.build(
        dict(
            type='GroupWSSS',
            backbone=BACKBONE,
            head=dict(type='GAPClassifierHead', in_channels=32, num_classes=3),
            gnn=dict(type='GroupGNN', in_channels=32, group_size=2, num_rounds=1),
        )
    )
    torch.testing.assert_close(
        shared.cam_weights(), torch.cat([shared.head.cam_weights()] * 2, 1) / 2
    )


def test_bad_graph_options():
    with pytest.raises(ValueError, match='graph_nodes must be one of'):
        MODELS.build(dict(BASE_AUTHORS, graph_nodes='pixels'))
    with pytest.raises(ValueError, match='set aux_head=None'):
        MODELS.build(
            dict(
                BASE_AUTHORS, aux_head=dict(type='GAPClassifierHead', in_channels=32, num_classes=3)
            )
        )
    with pytest.raises(ValueError, match='3 channels, the graph in_channels=32'):
        MODELS.build(dict(BASE_AUTHORS, gnn=dict(type='GroupGNN', in_channels=32, group_size=2)))


BASE_AUTHORS = dict(
    type='GroupWSSS',
    backbone=BACKBONE,
    head=dict(type='GAPClassifierHead', in_channels=32, num_classes=3),
    graph_nodes='class_maps',
    gnn=dict(type='GroupGNN', in_channels=3, group_size=2, reduction=1),
)
