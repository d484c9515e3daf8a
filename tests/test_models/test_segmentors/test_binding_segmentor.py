"""SegMix's binding segmentor: branch shapes (Eqs. 3-4), the output used at inference,
stage 2's frozen binding head, and its argument checks."""

import pytest
import torch
from mmengine.config import ConfigDict
from mmengine.structures import PixelData
from mmseg.structures import SegDataSample

from wsss_mm.models.heads import FeatureBindingHead
from wsss_mm.models.segmentors import BindingSegmentor

NUM_CLASSES = 4


def aspp(**kwargs):
    return dict(
        type='ASPPHead',
        in_channels=64,
        channels=8,
        dilations=(1, 2),
        num_classes=NUM_CLASSES,
        dropout_ratio=0.0,
        **kwargs,
    )


def tiny_segmentor(**kwargs) -> BindingSegmentor:
    """ResNet-18 of width 8 at output stride 8; ASPP branches of width 8."""
    torch.manual_seed(0)
    options = dict(
        phantom_head=aspp(),
        binding_head=dict(type='FeatureBindingHead', num_classes=NUM_CLASSES, channels=8),
    )
    options.update(kwargs)
    return BindingSegmentor(
        backbone=dict(
            type='mmpretrain.ResNet',
            depth=18,
            base_channels=8,
            stem_channels=8,
            strides=(1, 2, 1, 1),
            dilations=(1, 1, 2, 4),
            out_indices=(3,),
        ),
        decode_head=aspp(in_index=0),
        data_preprocessor=dict(type='mmseg.SegDataPreProcessor'),
        test_cfg=ConfigDict(mode='whole'),
        **options,
    )


def test_branch_and_binding_shapes():
    model = tiny_segmentor().eval()
    assert isinstance(model.binding_head, FeatureBindingHead)
    outputs = model.branch_outputs(torch.randn(2, 3, 32, 40))
    assert set(outputs) == {'dominant', 'phantom', 'binding'}
    for scores in outputs.values():
        assert scores.shape == (2, NUM_CLASSES, 4, 5)  # output stride 8
    assert torch.allclose(
        outputs['binding'], model.binding_head([outputs['dominant'], outputs['phantom']])
    )


@pytest.mark.parametrize(
    'options,expected',
    [
        (dict(), 'binding'),
        (dict(predict_with='dominant'), 'dominant'),
        (dict(binding_head=None), 'dominant'),
        (dict(stage=2), 'dominant'),
    ],
)
def test_inference_output_is_s_fb_or_s_t(options, expected):
    model = tiny_segmentor(**options).eval()
    assert model.predict_with == expected
    inputs = torch.randn(1, 3, 32, 32)
    meta = dict(img_shape=(32, 32), ori_shape=(32, 32), pad_shape=(32, 32))
    with torch.no_grad():
        outputs = model.branch_outputs(inputs)
        tensor = model(inputs, mode='tensor')
        sample = model.predict(inputs, [SegDataSample(metainfo=meta)])[0]
    assert torch.equal(tensor, outputs[expected])
    other = 'dominant' if expected == 'binding' else 'binding'
    assert other not in outputs or not torch.allclose(tensor, outputs[other])
    upsampled = torch.nn.functional.interpolate(
        outputs[expected], size=(32, 32), mode='bilinear', align_corners=False
    )
    assert torch.allclose(sample.seg_logits.data, upsampled[0], atol=1e-5)
    assert torch.equal(sample.pred_sem_seg.data[0], upsampled[0].argmax(0))


def test_stage_two_freezes_the_binding_head_and_trains_the_rest():
    model = tiny_segmentor(stage=2).train()
    assert not any(p.requires_grad for p in model.binding_head.parameters())
    sample = SegDataSample(metainfo=dict(img_shape=(32, 32)))
    sample.gt_sem_seg = PixelData(data=torch.randint(0, NUM_CLASSES, (1, 32, 32)))
    losses = model.loss(torch.randn(1, 3, 32, 32).repeat(2, 1, 1, 1), [sample, sample])
    assert set(losses) == {'loss_t', 'loss_ppa'}
    sum(losses.values()).backward()
    assert model.phantom_head.conv_seg.weight.grad is not None
    assert model.decode_head.conv_seg.weight.grad is not None
    assert model.backbone.conv1.weight.grad is not None


def test_stage_one_loss_reaches_every_branch():
    model = tiny_segmentor().train()
    samples = []
    for delta in (0.8, None):
        sample = SegDataSample(metainfo=dict(img_shape=(32, 32)))
        sample.gt_sem_seg = PixelData(data=torch.randint(0, NUM_CLASSES, (1, 32, 32)))
        if delta is not None:
            sample.gt_phantom_seg = PixelData(data=torch.randint(0, NUM_CLASSES, (1, 32, 32)))
            sample.set_metainfo(dict(mix_delta=delta))
        samples.append(sample)
    losses = model.loss(torch.randn(2, 3, 32, 32), samples)
    assert set(losses) == {'loss_t', 'loss_p', 'loss_fb'}
    sum(losses.values()).backward()
    for head in (model.decode_head, model.phantom_head, model.binding_head):
        assert head.conv_seg.weight.grad is not None


@pytest.mark.parametrize(
    'options,message',
    [
        (dict(stage=3), r'stage=3, expected one of \(1, 2\)'),
        (dict(phantom_head=None), 'binding_head needs phantom_head'),
        (dict(phantom_head=None, binding_head=None, stage=2), 'stage=2 penalises S_p'),
        (dict(predict_with='phantom'), "predict_with='phantom', expected one of"),
        (dict(binding_head=None, predict_with='binding'), "'binding' needs binding_head"),
        (dict(ppa_eps=-1.0), 'ppa_eps=-1.0, expected >= 0'),
        (dict(ppa_weight=-1.0), 'ppa_weight=-1.0, expected >= 0'),
    ],
)
def test_bad_arguments_are_named(options, message):
    with pytest.raises(ValueError, match=message):
        tiny_segmentor(**options)
