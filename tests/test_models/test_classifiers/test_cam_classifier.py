"""The base CAM network: protocol, loss, frozen BN, the parameter groups of its schedule."""

import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmseg.structures import SegDataSample

import wsss_mm
from wsss_mm.registry import MODELS


def tiny_model(**kwargs):
    wsss_mm.register_all_modules(init_default_scope=False)
    return MODELS.build(
        dict(
            type='CAMClassifier',
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=18,
                base_channels=8,
                stem_channels=8,
                strides=(1, 2, 1, 1),
                out_indices=(3,),
            ),
            head=dict(type='GAPClassifierHead', in_channels=64, num_classes=5),
            **kwargs,
        )
    )


def samples(labels):
    out = []
    for row in labels:
        s = SegDataSample()
        s.gt_labels = row
        out.append(s)
    return out


def test_protocol_shapes_and_consistency():
    model = tiny_model().eval()
    x = torch.randn(2, 3, 64, 64)
    feats = model.extract_feat(x)
    assert feats.shape == (2, 64, 8, 8)
    logits = model.predict_logits(feats)
    assert logits.shape == (2, 5)
    W = model.cam_weights()
    assert W.shape == (5, 64)
    # bias-free linear head: logits == spatial mean of the class activation maps
    cams = torch.einsum('ck,bkhw->bchw', W, feats)
    assert torch.allclose(logits, cams.mean((2, 3)), atol=1e-5)
    assert torch.allclose(model(x), logits)


def test_loss_is_multilabel_soft_margin_and_backpropagates():
    model = tiny_model()
    x = torch.randn(2, 3, 64, 64)
    labels = torch.tensor([[1.0, 0, 0, 1, 0], [0, 1, 0, 0, 0]])
    losses = model(x, samples(labels), mode='loss')
    logits = model.predict_logits(model.extract_feat(x))
    expected = torch.nn.functional.multilabel_soft_margin_loss(logits, labels)
    assert torch.allclose(losses['loss_cls'], expected, atol=1e-6)
    losses['loss_cls'].backward()
    assert model.head.classifier.weight.grad.abs().sum() > 0


def test_missing_labels_are_a_clear_error():
    with pytest.raises(KeyError, match='gt_labels'):
        tiny_model()(torch.randn(1, 3, 32, 32), [SegDataSample()], mode='loss')


def test_predict_adds_scores():
    out = tiny_model().eval()(torch.randn(2, 3, 32, 32), mode='predict')
    assert out[0].pred_scores.shape == (5,)
    assert ((out[0].pred_scores >= 0) & (out[0].pred_scores <= 1)).all()


@pytest.mark.parametrize('freeze_bn', [True, False])
def test_freeze_bn_keeps_running_statistics(freeze_bn):
    model = tiny_model(freeze_bn=freeze_bn).train()
    bn = model.backbone.bn1
    before = bn.running_mean.clone()
    model(torch.randn(2, 3, 32, 32) * 3 + 1)
    assert torch.equal(bn.running_mean, before) == freeze_bn


def test_freeze_bn_affine_keeps_weight_and_bias_out_of_the_update():
    """P-NOC's ordinary classifier (the code's mode='fix'): BN statistics and affine
    parameters stay, the convolutions and the classifier train."""
    model = tiny_model(freeze_bn=True, freeze_bn_affine=True).train()
    wrapper = build_optim_wrapper(model, dict(optimizer=dict(type='SGD', lr=0.1, weight_decay=0.1)))
    bns = [m for m in model.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert bns and not any(p.requires_grad for m in bns for p in m.parameters())
    before = {k: v.clone() for k, v in model.state_dict().items()}
    labels = torch.tensor([[1.0, 0, 0, 1, 0], [0, 1, 0, 0, 0]])
    wrapper.update_params(
        model(torch.randn(2, 3, 32, 32), samples(labels), mode='loss')['loss_cls']
    )
    after = model.state_dict()
    bn_keys = [k for k in before if '.bn' in k or 'downsample.1' in k]
    assert bn_keys and all(torch.equal(before[k], after[k]) for k in bn_keys)
    assert not torch.equal(before['backbone.conv1.weight'], after['backbone.conv1.weight'])
    assert not torch.equal(before['head.classifier.weight'], after['head.classifier.weight'])


def test_the_cam_schedule_gives_the_classifier_ten_times_the_learning_rate(quickstart_config):
    """The CAM configs' schedule (IRN's: the classifier at 10 x the learning rate)
    matches the CAM network's parameter names: the head's classifier, and only it."""
    optim_wrapper = Config.fromfile(quickstart_config).optim_wrapper
    model = tiny_model()
    wrapper = build_optim_wrapper(model, optim_wrapper)
    lr = optim_wrapper.optimizer.lr
    head_param = model.head.classifier.weight
    for group in wrapper.optimizer.param_groups:
        if any(p is head_param for p in group['params']):
            assert group['lr'] == pytest.approx(10 * lr)
        else:
            assert group['lr'] == pytest.approx(lr)


def test_gap_head_bias_moves_the_logits_and_the_class_maps_alike():
    head = MODELS.build(dict(type='GAPClassifierHead', in_channels=6, num_classes=3, bias=True))
    with torch.no_grad():
        head.classifier.bias.copy_(torch.tensor([1.0, -2.0, 0.5]))
    feats = torch.randn(2, 6, 4, 5)
    maps = head.class_maps(feats)
    torch.testing.assert_close(head(feats), maps.mean(dim=(2, 3)))
    without = torch.einsum('bkhw,ck->bchw', feats, head.cam_weights())
    torch.testing.assert_close(
        maps - without, head.classifier.bias.view(1, 3, 1, 1).expand_as(maps)
    )
    assert (
        MODELS.build(dict(type='GAPClassifierHead', in_channels=6, num_classes=3)).classifier.bias
        is None
    )
