"""The user-facing inference API of wsss_mm.apis: init_model and inference_cams."""

import cv2
import numpy as np
import pytest
import torch

from wsss_mm.apis import inference_cams, init_model
from wsss_mm.apis.train import load_config
from wsss_mm.registry import MODELS


@pytest.fixture(scope='module')
def quickstart_checkpoint(tmp_path_factory, quickstart_config):
    torch.manual_seed(0)
    model = MODELS.build(load_config(quickstart_config).model)
    path = str(tmp_path_factory.mktemp('ckpt') / 'cam.pth')
    torch.save(dict(state_dict=model.state_dict()), path)
    return path


def test_init_model_and_inference_cams(quickstart_checkpoint, tmp_path, quickstart_config):
    model = init_model(quickstart_config, quickstart_checkpoint, device='cpu')
    assert not model.training and model.cfg.model.type == 'CAMClassifier'
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (40, 52, 3), dtype=np.uint8)
    result = inference_cams(model, img, labels=[3, 12])
    assert list(result['keys']) == [3, 12] and result['keys'].dtype == np.int64
    cam = result['cam']
    assert cam.shape == (2, 40, 52) and cam.dtype == np.float32
    assert cam.min() >= 0 and cam.max() <= 1 and cam.max() > 0

    path = str(tmp_path / 'img.jpg')
    cv2.imwrite(path, img)
    result = inference_cams(model, path, scales=(1.0, 0.5), flip=True, labels=[5])
    assert list(result['keys']) == [5] and result['cam'].shape == (1, 40, 52)
    predicted = inference_cams(model, img)  # the classes with sigmoid > 0.5
    with torch.no_grad():
        data = model.data_preprocessor(dict(inputs=[torch.from_numpy(img).permute(2, 0, 1)]), False)
        scores = model.predict_logits(model.extract_feat(data['inputs'])).sigmoid()[0]
    assert list(predicted['keys']) == [int(c) + 1 for c in (scores > 0.5).nonzero().flatten()]
    assert predicted['cam'].shape == (len(predicted['keys']), 40, 52)
    with pytest.raises(ValueError, match='outside the class ids 1..20'):
        inference_cams(model, img, labels=[0])


def test_init_model_names_missing_files(tmp_path, quickstart_config):
    missing = str(tmp_path / 'none.pth')
    with pytest.raises(FileNotFoundError, match='none.pth'):
        init_model(quickstart_config, missing, device='cpu')
    with pytest.raises(FileNotFoundError, match='nothing.py'):
        init_model(str(tmp_path / 'nothing.py'))
