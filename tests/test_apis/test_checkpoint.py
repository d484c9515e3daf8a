"""Checkpoint and device problems are one line naming the file and what was
expected (wsss_mm.apis.checkpoint), never torch's traceback or its advice to
turn weights-only loading off."""

import argparse

import pytest
import torch

from wsss_mm.apis.checkpoint import (
    check_checkpoint_file,
    check_device,
    load_weights,
    read_checkpoint,
)
from wsss_mm.apis.inference import load_cam_network
from wsss_mm.apis.train import load_config


def _one_line(error) -> str:
    message = str(error.value)
    assert '\n' not in message and 'weights_only' not in message
    return message


def test_a_text_file_is_not_a_checkpoint(tmp_path):
    text = tmp_path / 'notes.pth'
    text.write_text('epoch 5 was the best\n')
    for check in (check_checkpoint_file, read_checkpoint):
        with pytest.raises(ValueError) as error:
            check(str(text))
        message = _one_line(error)
        assert str(text) in message and 'is not a PyTorch checkpoint' in message
        assert 'starts with "epoch 5 was the best"' in message
    with pytest.raises(FileNotFoundError, match='checkpoint not found: .*none.pth'):
        read_checkpoint(str(tmp_path / 'none.pth'))


def test_truncated_and_unsafe_checkpoints_are_named(tmp_path):
    whole = tmp_path / 'whole.pth'
    torch.save({'state_dict': {'w': torch.ones(3)}}, str(whole))
    cut = tmp_path / 'cut.pth'
    cut.write_bytes(whole.read_bytes()[:200])
    with pytest.raises(ValueError) as error:
        read_checkpoint(str(cut))
    assert 'cut.pth could not be read (truncated or corrupt?' in _one_line(error)

    unsafe = tmp_path / 'unsafe.pth'
    torch.save({'state_dict': {}, 'args': argparse.Namespace(lr=0.1)}, str(unsafe))
    with pytest.raises(ValueError) as error:
        read_checkpoint(str(unsafe))
    message = _one_line(error)
    assert 'unsafe.pth holds an object of type argparse.Namespace' in message
    assert 'refused' in message


def test_a_checkpoint_of_another_network_names_keys_and_its_config(tmp_path, tiny_cam_network):
    wide = tiny_cam_network(width=8)
    other = tiny_cam_network(head=dict(type='GAPClassifierHead'), width=4)
    state = dict(other.state_dict())
    state['neck.proj.weight'] = torch.zeros(1)
    del state['head.classifier.weight']
    path = tmp_path / 'other.pth'
    meta = dict(
        experiment_name='cam_r50_voc_20261207_101010',
        cfg="model = dict(type='CAMClassifier', backbone=dict(type='ResNet', depth=50))\n",
    )
    torch.save({'state_dict': state, 'meta': meta}, str(path))
    with pytest.raises(ValueError) as error:
        load_weights(wide, str(path))
    message = _one_line(error)
    assert f'checkpoint {path} does not fit the network of the config' in message
    assert 'missing 1 keys: head.classifier.* (1)' in message
    assert 'unexpected 1 keys: neck.proj.* (1)' in message
    assert '100 wrong shapes: backbone.bn1.bias (4,) (model (8,))' in message
    assert 'saved by a run of config cam_r50_voc.py (CAMClassifier, ResNet)' in message

    # the network's own checkpoint loads (a DataParallel "module." prefix is dropped)
    torch.save({'state_dict': {'module.' + k: v for k, v in wide.state_dict().items()}}, path)
    fresh = tiny_cam_network(width=8)
    load_weights(fresh, str(path))


def test_load_cam_network_checks_the_device_first(quickstart_config, monkeypatch):
    cfg = load_config(quickstart_config)
    monkeypatch.setattr(torch.cuda, 'is_available', lambda: False)
    with pytest.raises(ValueError) as error:
        load_cam_network(cfg, None, 'cuda')
    message = _one_line(error)
    assert message.startswith('--device cuda: ') and message.endswith('use --device cpu')
    with pytest.raises(ValueError, match='unknown device "gpu", expected cpu, cuda or cuda:N'):
        check_device('gpu')
    check_device('cpu')
    check_device(None)
