"""tools/test_robustness.py on the tiny synthetic VOC set, and its input checks."""

import json
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config

from wsss_mm.apis.robustness import ATTACKS, check_attacks, parse_model_spec
from wsss_mm.attacks import load_perturbation
from wsss_mm.registry import MODELS

#: tiny settings: no workers, few steps
TINY = [
    '--pgd-steps', '2',
    '--uap-steps', '2',
    '--gd-uap-steps', '2',
    '--gd-uap-part', '0.25',
    '--cfg-options',
    'train_dataloader.num_workers=0',
    'train_dataloader.persistent_workers=False',
    'train_dataloader.batch_size=4',
    'test_dataloader.num_workers=0',
    'test_dataloader.persistent_workers=False',
]  # fmt: skip


def random_checkpoint(repo_root, name, folder):
    """A randomly initialised checkpoint of configs/quickstart/<name>.py."""
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'quickstart', f'{name}.py'))
    torch.manual_seed(0)
    path = osp.join(folder, f'{name}.pth')
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, path)
    return f'{osp.join(repo_root, "configs", "quickstart", name)}.py:{path}'


def test_model_specs_and_attack_names_are_checked(tmp_path):
    config = tmp_path / 'seg.py'
    config.write_text('model = dict()\n')
    checkpoint = tmp_path / 'seg.pth'
    checkpoint.write_bytes(b'')
    assert parse_model_spec(f'{config}:{checkpoint}') == (str(config), str(checkpoint))
    with pytest.raises(ValueError, match='expected CONFIG:CHECKPOINT, got "seg.py"'):
        parse_model_spec('seg.py')
    with pytest.raises(ValueError, match='expected CONFIG:CHECKPOINT'):
        parse_model_spec(f'{config}:')
    with pytest.raises(FileNotFoundError, match='checkpoint file not found: /nope.pth'):
        parse_model_spec(f'{config}:/nope.pth')
    with pytest.raises(FileNotFoundError, match='config file not found: /nope.py'):
        parse_model_spec(f'/nope.py:{checkpoint}')
    assert check_attacks(['clean', 'pgd', 'clean']) == ['clean', 'pgd']
    with pytest.raises(ValueError, match=r"unknown attack\(s\) \['cw'\]"):
        check_attacks(['clean', 'cw'])


def test_tool_runs_every_attack(repo_root, synth_root, tmp_path, run_tool):
    seg = random_checkpoint(repo_root, 'deeplab_synthvoc', str(tmp_path))
    surrogate = random_checkpoint(repo_root, 'cam_synthvoc', str(tmp_path))
    work_dir = str(tmp_path / 'work')
    proc = run_tool(
        'tools/test_robustness.py',
        '--models', seg,
        '--attacks', *ATTACKS,
        '--surrogate', surrogate,
        '--data-root', synth_root,
        '--work-dir', work_dir,
        *TINY,
    )  # fmt: skip
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    assert list(results) == ['deeplab_synthvoc']
    assert list(results['deeplab_synthvoc']) == list(ATTACKS)
    assert all(0 <= m <= 100 for m in results['deeplab_synthvoc'].values())
    assert '| deeplab_synthvoc |' in proc.stdout
    with open(osp.join(work_dir, 'robustness.json')) as f:
        assert json.load(f) == results
    assert 'images/s under attacks' in proc.stdout
    files = {}
    for attack in ('uap', 'gd-uap-no', 'gd-uap-part', 'gd-uap-all'):
        assert f'{attack} perturbation: crafted in' in proc.stdout
        files[attack] = osp.join(work_dir, 'perturbations', f'{attack}_eps10.npy')
        v = load_perturbation(files[attack], 10.0)
        assert v.shape == (3, 112, 112)  # the surrogate's / the segmentor's crop size

    # a second run reuses the saved perturbations: same files, same scores
    stamps = {attack: os.stat(path).st_mtime_ns for attack, path in files.items()}
    again = run_tool(
        'tools/test_robustness.py',
        '--models', seg,
        '--attacks', 'uap', 'gd-uap-no',
        '--surrogate', surrogate,
        '--data-root', synth_root,
        '--work-dir', work_dir,
        *TINY,
    )  # fmt: skip
    assert 'uap perturbation: read from the cache' in again.stdout
    assert 'gd-uap-no perturbation: read from the cache' in again.stdout
    reused = json.loads(again.stdout.strip().splitlines()[-1])['deeplab_synthvoc']
    assert reused == {a: results['deeplab_synthvoc'][a] for a in ('uap', 'gd-uap-no')}
    assert {a: os.stat(p).st_mtime_ns for a, p in files.items()} == stamps

    assert 'usage' in run_tool('tools/test_robustness.py', '--help').stdout
    bad = run_tool(
        'tools/test_robustness.py', '--models', seg, '--attacks', 'clean', 'cw', check=False
    )
    assert bad.returncode == 2
    assert "error: unknown attack(s) ['cw']" in bad.stderr
