"""Every script under tools/ answers ``--help`` with its usage, at once, and does
nothing else; tools/ holds scripts only (modules live in the package)."""

import glob
import os
import os.path as osp
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

ROOT = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TOOLS = sorted(
    osp.relpath(path, ROOT)
    for pattern in ('*.py', '*.sh')
    for path in glob.glob(osp.join(ROOT, 'tools', '**', pattern), recursive=True)
)
#: generous: the suite runs on a loaded 2-core machine; the fastest of two tries counts
LIMIT_S = 3.0


def _help(tool: str, cwd: str) -> tuple:
    """(seconds, process) of ``tool --help`` run from ``cwd``."""
    command = ['bash'] if tool.endswith('.sh') else [sys.executable]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE='1')
    start = time.perf_counter()
    proc = subprocess.run(
        [*command, osp.join(ROOT, tool), '--help'],
        cwd=cwd,
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    return time.perf_counter() - start, proc


def test_tools_holds_scripts_only():
    assert len(TOOLS) > 20
    modules = [
        t
        for t in TOOLS
        if t.endswith('.py') and "__name__ == '__main__'" not in open(osp.join(ROOT, t)).read()
    ]
    assert modules == []


@pytest.mark.slow
def test_every_tool_answers_help_fast_and_does_nothing_else(tmp_path):
    tools_before = sorted(glob.glob(osp.join(ROOT, 'tools', '**'), recursive=True))

    def run(tool):
        cwd = tmp_path / tool.replace('/', '_')
        cwd.mkdir()
        seconds, proc = _help(tool, str(cwd))
        if seconds > LIMIT_S:  # a busy moment: the faster of two tries counts
            seconds = min(seconds, _help(tool, str(cwd))[0])
        return tool, seconds, proc, os.listdir(cwd)

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(run, TOOLS))
    failed = [
        f'{tool}: exit {proc.returncode}, {seconds:.1f}s, files {files}, '
        f'stdout {proc.stdout[:80]!r}, stderr {proc.stderr[-200:]!r}'
        for tool, seconds, proc, files in results
        if proc.returncode != 0 or 'usage' not in proc.stdout.lower() or seconds > LIMIT_S or files
    ]
    assert failed == []
    assert sorted(glob.glob(osp.join(ROOT, 'tools', '**'), recursive=True)) == tools_before
