"""tools/test_robustness.py on the tiny synthetic VOC set, and its input checks."""

import json
import os
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from wsss_mm.apis.robustness import ATTACKS, check_attacks
from wsss_mm.apis.universal_perturbations import (
    UNIVERSAL,
    NetworkSpec,
    Perturbation,
    check_sources,
    crafting_networks,
    least_background,
    load_cached,
    parse_network_spec,
    parse_perturbation_spec,
)
from wsss_mm.attacks import load_perturbation, save_perturbation
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
#: the evaluated segmentor (trained on ground-truth masks, as a surrogate DeepLab is)
SEG = 'segmix_deeplabv3_synthvoc'


def random_checkpoint(repo_root, name, folder, seed=0):
    """A randomly initialised checkpoint of configs/quickstart/<name>.py."""
    cfg = Config.fromfile(osp.join(repo_root, 'configs', 'quickstart', f'{name}.py'))
    torch.manual_seed(seed)
    path = osp.join(folder, f'{name}_{seed}.pth')
    torch.save({'state_dict': MODELS.build(cfg.model).state_dict()}, path)
    return f'{osp.join(repo_root, "configs", "quickstart", name)}.py:{path}'


def test_network_specs_and_attack_names_are_checked(tmp_path):
    config = tmp_path / 'seg.py'
    config.write_text('model = dict()\n')
    checkpoint = tmp_path / 'seg.pth'
    checkpoint.write_bytes(b'')
    spec = parse_network_spec(f'{config}:{checkpoint}')
    assert spec == NetworkSpec('seg', str(config), str(checkpoint))
    assert parse_network_spec(f'base-s3={config}:{checkpoint}').name == 'base-s3'
    with pytest.raises(ValueError, match='expected \\[NAME=\\]CONFIG:CHECKPOINT, got "seg.py"'):
        parse_network_spec('seg.py')
    with pytest.raises(ValueError, match='expected \\[NAME=\\]CONFIG:CHECKPOINT'):
        parse_network_spec(f'{config}:')
    with pytest.raises(FileNotFoundError, match='checkpoint file not found: /nope.pth'):
        parse_network_spec(f'{config}:/nope.pth')
    with pytest.raises(FileNotFoundError, match='config file not found: /nope.py'):
        parse_network_spec(f'/nope.py:{checkpoint}')
    assert parse_perturbation_spec(f'uap-rn={checkpoint}') == ('uap-rn', str(checkpoint))
    with pytest.raises(ValueError, match='expected NAME=FILE'):
        parse_perturbation_spec(str(checkpoint))
    with pytest.raises(FileNotFoundError, match='perturbation file not found: /v.npy'):
        parse_perturbation_spec('v=/v.npy')
    assert check_attacks(['clean', 'pgd', 'clean']) == ['clean', 'pgd']
    with pytest.raises(ValueError, match=r"unknown attack\(s\) \['cw'\]"):
        check_attacks(['clean', 'cw'])


def test_a_surrogate_that_is_an_evaluated_model_needs_white_box(tmp_path):
    files = {}
    for name, content in (('a.pth', b'weights A'), ('copy.pth', b'weights A'), ('b.pth', b'B')):
        files[name] = str(tmp_path / name)
        (tmp_path / name).write_bytes(content)
    model = NetworkSpec('deeplab', 'deeplab.py', files['a.pth'])
    other_seed = NetworkSpec('deeplab-s3', 'deeplab.py', files['b.pth'])
    check_sources([model], [other_seed], None, [])
    for same in (model, NetworkSpec('copy', 'deeplab.py', files['copy.pth'])):
        with pytest.raises(ValueError, match='has the weights of the evaluated model "deeplab"'):
            check_sources([model], [same], None, [])
        check_sources([model], [same], 'first', [])  # white box asked for
    with pytest.raises(ValueError, match='white box must be one of'):
        check_sources([model], [], 'all', [])
    with pytest.raises(ValueError, match='surrogate names must differ'):
        check_sources([model], [other_seed, other_seed], None, [])
    with pytest.raises(ValueError, match='names must differ and hold no "@"'):
        check_sources([model], [], None, [('uap@x', 'v.npy')])
    # the columns' networks: surrogates, then the evaluated models on request
    names = [n.name for n in crafting_networks([model], [other_seed], 'each')]
    assert names == ['deeplab-s3', 'self']
    assert [n.name for n in crafting_networks([model], [other_seed], 'first')] == [
        'deeplab-s3',
        'deeplab',
    ]
    assert [n.name for n in crafting_networks([model], [model], 'first')] == ['deeplab']


def test_a_crafted_perturbation_is_one_array_for_every_model_unless_white_box_each():
    shared = Perturbation('uap@cls', 'uap', 'cls (cls.py:cls.pth)', {'*': torch.ones(3, 2, 2)})
    assert shared.for_model('deeplab') is shared.for_model('binding-cc')
    own = {'deeplab': torch.zeros(3, 2, 2), 'binding-cc': torch.ones(3, 2, 2)}
    white = Perturbation('uap@self', 'uap', 'each evaluated model (white box)', own)
    assert white.for_model('deeplab') is own['deeplab']
    assert white.for_model('binding-cc') is own['binding-cc']


def test_a_cached_perturbation_is_reused_only_for_its_recipe(tmp_path):
    path = str(tmp_path / 'uap@cam_eps10.npy')
    assert load_cached(path, {'steps': 2}, 10.0) is None  # nothing cached: craft it
    save_perturbation(path, torch.ones(3, 4, 4))
    with pytest.raises(ValueError, match='uap@cam_eps10.npy has no recipe'):
        load_cached(path, {'steps': 2}, 10.0)
    with open(tmp_path / 'uap@cam_eps10.json', 'w') as f:
        json.dump({'recipe': {'steps': 2, 'seed': 0}, 'fooling_rate': 0.5}, f)
    v, record = load_cached(path, {'steps': 2, 'seed': 0}, 10.0)
    assert torch.equal(v, torch.ones(3, 4, 4)) and record['fooling_rate'] == 0.5
    with pytest.raises(ValueError, match=r'another recipe \(seed: 0 -> None, steps: 2 -> 3\)'):
        load_cached(path, {'steps': 3}, 10.0)


def test_gd_uap_part_keeps_the_images_with_least_background(tmp_path):
    paths = []
    for i, background in enumerate([90, 10, 50, 10, 100]):
        mask = np.full((10, 10), 3, np.uint8)
        mask.flat[:background] = 0
        mask[9, 9] = 255 if background < 100 else 0
        paths.append(str(tmp_path / f'{i}.png'))
        Image.fromarray(mask).save(paths[-1])
    # shares 90/99, 10/99, 50/99, 10/99, 100/100: the two least, ties in split order
    assert least_background(paths, 0.4) == [1, 3]
    assert least_background(paths, 0.5) == [1, 2, 3]
    assert least_background(paths, 0.01) == [1]
    with pytest.raises(ValueError, match='image 1 of the crafting split has no mask'):
        least_background([paths[0], None], 0.5)


def test_tool_crafts_on_surrogates_and_applies_one_perturbation_to_every_model(
    repo_root, synth_root, tmp_path, run_tool
):
    seg = random_checkpoint(repo_root, SEG, str(tmp_path))
    seg_other_seed = random_checkpoint(repo_root, SEG, str(tmp_path), seed=3)
    cam = random_checkpoint(repo_root, 'cam_synthvoc', str(tmp_path))
    given = str(tmp_path / 'given.npy')
    save_perturbation(given, torch.full((3, 16, 16), 10.0))
    work_dir = str(tmp_path / 'work')
    proc = run_tool(
        'tools/test_robustness.py',
        '--models', seg,
        '--attacks', *ATTACKS,
        '--surrogate', f'cam={cam}', f'deeplab-s3={seg_other_seed}',
        '--perturbations', f'bright={given}',
        '--data-root', synth_root,
        '--work-dir', work_dir,
        *TINY,
    )  # fmt: skip
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    crafted = [f'{a}@{s}' for a in UNIVERSAL for s in ('cam', 'deeplab-s3')]
    assert list(results) == [SEG]
    scores = results[SEG]
    assert list(scores) == ['clean', 'fgsm', 'pgd', *crafted, 'bright']
    assert all(0 <= m <= 100 for m in scores.values())
    assert f'| {SEG} |' in proc.stdout
    with open(osp.join(work_dir, 'robustness.json')) as f:
        assert json.load(f) == results
    assert 'images/s under attacks' in proc.stdout
    assert '| bright ' in proc.stdout and 'given' in proc.stdout
    files = {}
    for column in crafted:
        assert f'| {column} ' in proc.stdout
        files[column] = osp.join(work_dir, 'perturbations', f'{column}_eps10.npy')
        v = load_perturbation(files[column], 10.0)
        assert v.shape == (3, 112, 112)  # the surrogate's crop size
        with open(files[column][: -len('.npy')] + '.json') as f:
            record = json.load(f)
        # 3 of the 24 training images held out; 2 steps, checked every step
        assert [step for step, _ in record['checks']] == [1, 2]
        assert record['kept_step'] in (1, 2) and 0 <= record['fooling_rate'] <= 1
        assert record['recipe']['attack'] == column.split('@')[0]
    assert proc.stdout.count('crafted in') == len(crafted)

    # the same recipe reads the cache; --white-box each also crafts on the model itself
    stamps = {column: os.stat(path).st_mtime_ns for column, path in files.items()}
    again = run_tool(
        'tools/test_robustness.py',
        '--models', seg,
        '--attacks', 'gd-uap-no',
        '--surrogate', f'cam={cam}',
        '--white-box', 'each',
        '--data-root', synth_root,
        '--work-dir', work_dir,
        *TINY,
    )  # fmt: skip
    assert again.stdout.count('read from the cache') == 1
    assert again.stdout.count('crafted in') == 1
    reused = json.loads(again.stdout.strip().splitlines()[-1])[SEG]
    assert list(reused) == ['gd-uap-no@cam', 'gd-uap-no@self']
    assert reused['gd-uap-no@cam'] == scores['gd-uap-no@cam']
    assert {c: os.stat(p).st_mtime_ns for c, p in files.items()} == stamps
    white = osp.join(work_dir, 'perturbations', f'gd-uap-no@self-{SEG}_eps10.npy')
    assert load_perturbation(white, 10.0).shape == (3, 112, 112)

    assert 'usage' in run_tool('tools/test_robustness.py', '--help').stdout
    bad = run_tool(
        'tools/test_robustness.py', '--models', seg, '--attacks', 'clean', 'cw', check=False
    )
    assert bad.returncode == 2
    assert "error: unknown attack(s) ['cw']" in bad.stderr
