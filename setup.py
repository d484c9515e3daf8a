"""Installs wsss_mm; dependency lists come from requirements/*.txt."""
import os.path as osp
import re

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


if __name__ == '__main__':
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
        license='Apache License 2.0',
        zip_safe=False,
    )
