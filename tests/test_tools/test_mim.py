"""OpenMMLab's mim finds wsss_mm as it finds MMSegmentation: model-index.yml, the
metafiles, the configs and tools/ packaged under ``wsss_mm/.mim`` (setup.py), so that
``mim search wsss_mm`` lists the configs and ``mim train wsss_mm CONFIG --gpus 0`` runs
tools/train.py. mim (installed by ``make install``, requirements/mim.txt) looks for the
package under a sys.path folder, which a regular install makes and an editable one does
not: the test installs a copy of the repository there, as ``pip install .`` does."""

import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

SOURCES = [
    'setup.py',
    'MANIFEST.in',
    'README.md',
    'model-index.yml',
    'requirements',
    'configs',
    'tools',
    'wsss_mm',
]


def _run(args, cwd, env, timeout=600):
    proc = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f'{args}:\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}'
    return proc


@pytest.mark.slow
def test_mim_search_and_train(repo_root, synth_root, tmp_path, tiny_train_options):
    try:
        import mim  # noqa: F401
    except ImportError:
        pytest.fail('openmim is not installed: make install installs it (requirements/mim.txt)')
    # a copy of the sources: building a wheel replaces wsss_mm/.mim's links with copies
    source = tmp_path / 'source'
    source.mkdir()
    ignore = shutil.ignore_patterns('__pycache__', '.mim', '*.egg-info')
    for name in SOURCES:
        path = osp.join(repo_root, name)
        if osp.isdir(path):
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy(path, source / name)
    site = tmp_path / 'site'
    env = dict(os.environ, PYTHONPATH=str(site), PYTHONDONTWRITEBYTECODE='1')
    env.pop('WSSS_MM_DEBUG', None)
    pip = [sys.executable, '-m', 'pip', 'install', '-q', '--no-deps', '--no-build-isolation']
    _run([*pip, '--no-index', '--target', str(site), str(source)], tmp_path, env)
    assert osp.isfile(site / 'wsss_mm' / '.mim' / 'tools' / 'train.py')
    assert osp.isfile(site / 'wsss_mm' / '.mim' / 'configs' / 'cam' / 'metafile.yaml')

    found = _run([sys.executable, '-m', 'mim', 'search', 'wsss_mm'], tmp_path, env).stdout
    assert 'config id: cam_r50_voc' in found and 'config id: advcam_r50_voc' in found

    work_dir = tmp_path / 'work'
    proc = _run(
        [sys.executable, '-m', 'mim', 'train', 'wsss_mm', 'cam_synthvoc.py', '--gpus', '0']
        + ['--data-root', synth_root, '--work-dir', str(work_dir)]
        + ['--cfg-options', *tiny_train_options],
        tmp_path,
        dict(env, OMP_NUM_THREADS='1'),
    )
    assert osp.join('wsss_mm', '.mim', 'tools', 'train.py') in proc.stdout
    assert 'Training finished successfully' in proc.stdout
    assert (work_dir / 'epoch_1.pth').is_file()
