"""What a new user gets wrong ends the tools in one line with exit code 2: missing
data and weights of a config (before the config is printed), a file that is not a
checkpoint, a checkpoint of another network, a device this machine lacks; a CAM method
the config does not import is named with where to import it. (The messages themselves
are tested in tests/test_apis/test_checkpoint.py and test_config_check.py.)"""

import pytest
import torch

from wsss_mm.apis.inference import build_cam_method
from wsss_mm.apis.train import load_config
from wsss_mm.registry import MODELS


def _error_line(proc) -> str:
    """The tool's one error line (the hint about WSSS_MM_DEBUG may follow)."""
    assert proc.returncode == 2, proc.stderr[-2000:]
    assert 'Traceback' not in proc.stderr and 'weights_only' not in proc.stderr
    lines = [line for line in proc.stderr.splitlines() if ': error: ' in line]
    assert len(lines) == 1, proc.stderr[-2000:]
    return lines[0]


def test_train_names_the_missing_files_of_a_voc_config_at_once(run_tool, tmp_path):
    proc = run_tool(
        'tools/train.py',
        'configs/cam/cam_r50_voc.py',
        '--work-dir',
        str(tmp_path / 'work'),
        check=False,
    )
    line = _error_line(proc)
    assert 'data root not found: data/VOCdevkit/VOC2012' in line
    assert 'pretrained weights not found: pretrain/resnet50_imagenet.pth' in line
    assert len(proc.stdout) + len(proc.stderr) < 2000  # no config dump
    assert not (tmp_path / 'work').exists()


def test_text_files_as_checkpoints(quickstart_config, synth_root, tmp_path, run_tool):
    text = tmp_path / 'latest.pth'
    text.write_text('work_dirs/cam/epoch_40.pth\n')
    proc = run_tool(
        'tools/train.py',
        quickstart_config,
        '--data-root',
        synth_root,
        '--work-dir',
        str(tmp_path / 'work'),
        '--resume',
        str(text),
        check=False,
    )
    line = _error_line(proc)
    assert f'--resume: checkpoint {text} is not a PyTorch checkpoint' in line


def test_a_checkpoint_of_another_network(
    repo_root, quickstart_config, synth_root, tmp_path, run_tool
):
    cfg = load_config(f'{repo_root}/configs/quickstart/affinity_synthvoc.py')
    path = tmp_path / 'affinity.pth'
    meta = dict(experiment_name='affinity_synthvoc_20261201_120000')
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict(), 'meta': meta}, str(path))
    proc = run_tool(
        'tools/test.py', quickstart_config, str(path), '--data-root', synth_root, check=False
    )
    line = _error_line(proc)
    assert f'checkpoint {path} does not fit the network of the config' in line
    assert 'missing' in line and 'unexpected' in line
    assert 'saved by a run of config affinity_synthvoc.py' in line
    assert len(proc.stdout) < 2000  # before the Runner prints the config


@pytest.mark.skipif(torch.cuda.is_available(), reason='needs a machine without CUDA')
def test_device_cuda_without_cuda(quickstart_config, tmp_path, run_tool):
    ckpt = tmp_path / 'cam.pth'
    torch.save(
        {'state_dict': MODELS.build(load_config(quickstart_config).model).state_dict()}, ckpt
    )
    args = [quickstart_config, str(ckpt), '--out-dir', str(tmp_path / 'cams')]
    proc = run_tool('tools/infer_cams.py', *args, '--device', 'cuda', check=False)
    assert '--device cuda: ' in _error_line(proc) and 'use --device cpu' in proc.stderr


def test_an_unknown_cam_method_says_where_its_module_is_imported():
    with pytest.raises(KeyError) as error:
        build_cam_method('MyCAM')
    message = error.value.args[0]
    assert 'unknown CAM method "MyCAM"' in message
    assert "custom_imports = dict(imports=['my_package.my_cam']" in message
