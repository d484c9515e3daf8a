"""The documentation speaks of the project only and agrees with itself: no paths
outside the repository or words about how it was made, the papers named for the
reader, one count of the stack fixes, one quickstart seed number."""

import glob
import os.path as osp
import re

import pytest

from wsss_mm import compat

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
DOCS = sorted(
    osp.relpath(path, ROOT)
    for pattern in ('*.md', 'docs/**/*.md', 'configs/**/*.md', 'tools/**/*.sh', 'tools/**/*.py')
    for path in glob.glob(osp.join(ROOT, pattern), recursive=True)
)
#: what a document of the project never says: paths outside it, how or where it was made
OUTSIDE = re.compile(
    r'/work/|\.\./shared|shared/docs|/home/|\bsessions?\b|\bsandbox|\blent\b', re.IGNORECASE
)
WORDS = {
    1: 'one',
    2: 'two',
    3: 'three',
    4: 'four',
    5: 'five',
    6: 'six',
    7: 'seven',
    8: 'eight',
    9: 'nine',
}


def read(path):
    return open(osp.join(ROOT, path), encoding='utf-8').read()


@pytest.mark.parametrize('path', DOCS)
def test_docs_speak_of_the_project_only(path):
    found = [
        f'{path}:{number}: {line.strip()}'
        for number, line in enumerate(read(path).splitlines(), 1)
        if OUTSIDE.search(line)
    ]
    assert found == []


def test_readme_names_the_papers():
    readme = read('README.md')
    assert re.findall(r'seeds? (?:paper )?00\d', readme) == []
    table = readme.split('## Methods and their state', 1)[1].split('\n## ', 1)[0]
    for venue in ('CVPR 2021', 'ICCV 2021', 'AAAI 2021', 'IJCV 2023', 'VISAPP 2022'):
        assert venue in table


def test_faq_and_install_count_the_stack_fixes_alike():
    fixes = len(compat.APPLIED)
    install = read('docs/install.md').split('## The stack fixes', 1)[1].split('\n## ', 1)[0]
    assert len(re.findall(r'^\d+\. \*\*', install, flags=re.M)) == fixes
    faq = read('docs/faq.md')
    assert f'applies {WORDS[fixes]} fixes' in faq
    section = faq.split('applies', 1)[1].split('\n## ', 1)[0]
    assert len(re.findall(r'^\d+\. \*\*', section, flags=re.M)) == fixes


def test_quickstart_seed_numbers_agree():
    readme = read('README.md')
    seeds = re.search(r'\| seeds: quickstart CAM network[^|]*\| ([\d.]+) \|', readme).group(1)
    floor = re.search(r'the floor \| ([\d.]+) \|', readme).group(1)
    cam = read('configs/cam/README.md')
    assert f'synthetic set: {seeds} (ours) vs floor {floor}' in cam
    assert f'seeds {seeds} →' in readme
