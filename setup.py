"""Installs wsss_mm; dependency lists come from requirements/*.txt."""

import os
import os.path as osp
import platform
import re
import shutil
import sys
import warnings

from setuptools import find_packages, setup

HERE = osp.dirname(osp.abspath(__file__))

# setup.py keeps ranges that the exact pins of requirements/*.txt satisfy, so that
# `pip install wsss_mm` never upgrades a torch the user already has to a CUDA build.
RANGES = {
    'torch': 'torch>=2.1,<2.14',
    'torchvision': 'torchvision>=0.16,<0.29',
    'mmengine': 'mmengine>=0.10.0,<1.0',
    'mmcv-lite': 'mmcv-lite>=2.0.0,<2.2.0',
    'mmsegmentation': 'mmsegmentation>=1.2.0,<1.3',
    'mmpretrain': 'mmpretrain>=1.2.0,<1.3',
}


def read_requirements(name: str) -> list:
    """Reads requirements/<name>.txt, widening the exact pins listed in RANGES."""
    reqs = []
    with open(osp.join(HERE, 'requirements', name)) as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if not line:
                continue
            pkg = re.split(r'[=<>!~\[ ]', line, maxsplit=1)[0]
            reqs.append(RANGES.get(pkg, line))
    return reqs


def read_version() -> str:
    with open(osp.join(HERE, 'wsss_mm', 'version.py')) as f:
        return re.search(r"__version__ = '([^']+)'", f.read()).group(1)


def add_mim_extension() -> None:
    """Adds the configs, the tools and model-index.yml to the package as
    ``wsss_mm/.mim/{configs,tools,model-index.yml}`` (MMSegmentation's setup.py),
    where MMEngine finds them for ``_base_ = ['wsss_mm::cam/cam_r50_voc.py']``:
    symlinks to the originals for an editable install (``pip install -e .``, which
    runs ``editable_wheel``, or the legacy ``develop``), copies when a wheel or a
    source distribution is built (``pip install .``); nothing otherwise. Links an
    editable install made are kept when a wheel is built in the same tree: the wheel
    holds the files they point to, and the editable install keeps seeing the
    repository's configs and tools (not copies that go stale)."""
    if 'develop' in sys.argv or 'editable_wheel' in sys.argv:
        # symlinks fail on Windows without privileges
        mode = 'copy' if platform.system() == 'Windows' else 'symlink'
    elif 'sdist' in sys.argv or 'bdist_wheel' in sys.argv:
        mode = 'copy'
    else:
        return

    mim_path = osp.join(HERE, 'wsss_mm', '.mim')
    os.makedirs(mim_path, exist_ok=True)
    for filename in ['tools', 'configs', 'model-index.yml']:
        src_path = osp.join(HERE, filename)
        if not osp.exists(src_path):
            continue
        tar_path = osp.join(mim_path, filename)
        if osp.islink(tar_path) and osp.realpath(tar_path) == osp.realpath(src_path):
            continue
        if osp.isfile(tar_path) or osp.islink(tar_path):
            os.remove(tar_path)
        elif osp.isdir(tar_path):
            shutil.rmtree(tar_path)
        if mode == 'symlink':
            os.symlink(osp.relpath(src_path, osp.dirname(tar_path)), tar_path)
        elif osp.isfile(src_path):
            shutil.copyfile(src_path, tar_path)
        elif osp.isdir(src_path):
            shutil.copytree(
                src_path, tar_path, ignore=shutil.ignore_patterns('__pycache__', '*.pyc')
            )
        else:
            warnings.warn(f'Cannot copy file {src_path}.')


if __name__ == '__main__':
    add_mim_extension()
    tests = read_requirements('tests.txt')
    optional = read_requirements('optional.txt')
    setup(
        name='wsss_mm',
        version=read_version(),
        description='Weakly supervised semantic segmentation and segmentation '
        'robustness on MMEngine / MMSegmentation',
        long_description=open(osp.join(HERE, 'README.md')).read(),
        long_description_content_type='text/markdown',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        python_requires='>=3.9',
        install_requires=read_requirements('runtime.txt'),
        extras_require=dict(tests=tests, optional=optional, all=tests + optional),
        include_package_data=True,  # wsss_mm/.mim (MANIFEST.in)
        license='Apache License 2.0',
        zip_safe=False,
    )
