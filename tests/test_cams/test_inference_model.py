"""CAMInferenceModel: the CAMs of the present classes as ``pred_cams``, at the
original image size, from the CAM network's weights."""

import pytest
import torch
from mmengine.runner.checkpoint import load_state_dict
from mmseg.structures import SegDataSample

from wsss_mm.cams import CAMInferenceModel, multiscale_cams
from wsss_mm.registry import CAM_METHODS, MODELS


def tiny_network():
    """An untrained 4-class CAM network with mmseg's data preprocessor, in eval mode."""
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='CAMClassifier',
            data_preprocessor=dict(
                type='mmseg.SegDataPreProcessor',
                mean=[123.7, 116.3, 103.5],
                std=[58.4, 57.1, 57.4],
                bgr_to_rgb=True,
            ),
            backbone=dict(
                type='mmpretrain.ResNet',
                depth=18,
                base_channels=8,
                stem_channels=8,
                strides=(1, 2, 1, 1),
                out_indices=(3,),
            ),
            head=dict(type='GAPClassifierHead', in_channels=64, num_classes=4),
        )
    ).eval()


def batch(size, ori_shape=None):
    """One random image of ``size`` (H, W) with labels 1 and 3 of 4."""
    sample = SegDataSample(metainfo=dict(img_shape=size, ori_shape=ori_shape or size))
    sample.gt_labels = torch.tensor([0.0, 1.0, 0.0, 1.0])
    img = torch.randint(
        0, 256, (3, *size), dtype=torch.uint8, generator=torch.Generator().manual_seed(1)
    )
    return dict(inputs=[img], data_samples=[sample])


@pytest.mark.parametrize('method', ['CAM', 'GradCAM'])
def test_wrapper_predicts_cams_of_the_present_classes(method):
    net = tiny_network()
    model = MODELS.build(
        dict(type='CAMInferenceModel', module=net, method=method, scales=(1.0, 0.5), flip=True)
    )
    with torch.no_grad():  # MMEngine's loops: gradient methods enable them themselves
        (sample,) = model.test_step(batch((40, 52)))
    cams = sample.pred_cams.data
    assert cams.shape == (4, 40, 52)
    assert cams.min() >= 0 and cams.max() <= 1
    assert torch.all(cams[[0, 2]] == 0) and torch.all(cams[[1, 3]].flatten(1).amax(1) > 0.99)
    data = net.data_preprocessor(batch((40, 52)), False)
    expected = multiscale_cams(
        CAM_METHODS.build(dict(type=method)),
        net,
        data['inputs'],
        data['data_samples'][0].gt_labels[None],
        (1.0, 0.5),
        True,
    )
    torch.testing.assert_close(cams, expected[0])
    assert sample.pred_scores.shape == (4,) and 'pred_logits' in sample


def test_wrapper_resizes_to_the_original_size_and_loads_the_network_weights():
    model = CAMInferenceModel(tiny_network(), scales=(1.0,))
    (sample,) = model.val_step(batch((20, 26), ori_shape=(40, 52)))
    cams = sample.pred_cams.data
    assert cams.shape == (4, 40, 52) and torch.all(cams[[0, 2]] == 0)
    assert cams.max() <= 1 and torch.all(cams[[1, 3]].flatten(1).amax(1) > 0.99)
    # a checkpoint of the network loads into the wrapper (as into mmseg's SegTTAModel)
    other = tiny_network()
    with torch.no_grad():
        other.head.classifier.weight.mul_(-1)
    load_state_dict(model, other.state_dict(), strict=True)
    assert torch.equal(model.module.head.classifier.weight, other.head.classifier.weight)
    with pytest.raises(KeyError, match='unknown CAM method "NoCAM"'):
        CAMInferenceModel(tiny_network(), method='NoCAM')
    unlabelled = batch((20, 26))
    del unlabelled['data_samples'][0].gt_labels
    with pytest.raises(KeyError, match=r'data samples \[0\] carry no `gt_labels`'):
        model.test_step(unlabelled)
