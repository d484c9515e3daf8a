"""A quiet terminal: MMEngine's console output muted into its log files; progress
bars that do not flood a log; the quiet run of the pipeline."""

import io
import os.path as osp
import warnings

import pytest
import torch
from mmengine.logging import MMLogger, print_log
from mmengine.runner import CheckpointLoader

from wsss_mm.utils import progress as progress_module
from wsss_mm.utils.progress import progress, transient_bars
from wsss_mm.utils.quiet import PACKAGE_DIR, quiet_console


def read(path):
    with open(path) as f:
        return f.read()


@pytest.fixture(autouse=True)
def forget_new_loggers():
    """The loggers a test makes leave MMEngine's registry afterwards: their
    console handlers write to this test's captured stdout."""
    before = set(MMLogger._instance_dict)
    yield
    for name in set(MMLogger._instance_dict) - before:
        for handler in MMLogger._instance_dict.pop(name).handlers:
            handler.close()


def test_a_logger_made_inside_logs_to_its_file_not_the_console(tmp_path, capsys):
    log_file = str(tmp_path / 'run.log')
    with quiet_console() as log_files:
        logger = MMLogger.get_instance('quiet_test_inside', log_file=log_file)
        logger.info('Config: a long dump')
        logger.warning('"FileClient" will be deprecated in future')
        logger.warning('a warning people should see')
    assert log_files == [log_file]
    out = capsys.readouterr().out
    assert 'a warning people should see' in out
    assert 'Config' not in out and 'deprecated' not in out
    for handler in logger.handlers:
        handler.flush()
    text = read(log_file)
    assert 'Config: a long dump' in text and 'will be deprecated' in text
    # the console comes back after the context
    logger.info('after the context')
    assert 'after the context' in capsys.readouterr().out


def test_a_logger_made_before_is_muted_inside_only(capsys):
    logger = MMLogger.get_instance('quiet_test_before')
    with quiet_console():
        logger.info('muted')
    logger.info('shown')
    out = capsys.readouterr().out
    assert 'muted' not in out and 'shown' in out


def test_verbose_records_the_log_files_and_mutes_nothing(tmp_path, capsys):
    log_file = str(tmp_path / 'run.log')
    with quiet_console(enabled=False) as log_files:
        MMLogger.get_instance('quiet_test_verbose', log_file=log_file).info('on the console')
    assert log_files == [log_file] and 'on the console' in capsys.readouterr().out


def test_third_party_warnings_and_checkpoint_lines_go_to_the_log_file(tmp_path, capsys):
    checkpoint = str(tmp_path / 'weights.pth')
    torch.save({'w': torch.zeros(1)}, checkpoint)
    log_file = str(tmp_path / 'pipeline.log')
    with warnings.catch_warnings(record=True) as shown:
        warnings.simplefilter('always')
        with quiet_console(log_file):
            warnings.warn_explicit('from mmseg', UserWarning, '/x/site-packages/mmseg/a.py', 3)
            warnings.warn_explicit(
                'from wsss_mm', UserWarning, osp.join(PACKAGE_DIR, 'apis', 'pipeline.py'), 7
            )
            CheckpointLoader.load_checkpoint(checkpoint, 'cpu', logger=None)  # as load_checkpoint
            print_log('print_log elsewhere still prints')
    assert [str(w.message) for w in shown] == ['from wsss_mm']
    out = capsys.readouterr().out
    assert 'Loads checkpoint' not in out and 'print_log elsewhere still prints' in out
    text = read(log_file)
    assert 'UserWarning: from mmseg' in text and 'Loads checkpoint by local backend' in text
    assert 'from wsss_mm' not in text


def test_progress_bars_stay_silent_off_a_terminal(capsys):
    bar = progress(range(100), desc='images')
    assert bar.miniters == 25 and bar.delay == 30  # at most the quarters, after 30 s
    assert sum(bar) == 4950
    assert capsys.readouterr().err == ''


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_finished_bars_vanish_on_a_terminal_in_quiet_runs(monkeypatch):
    monkeypatch.setattr(progress_module.sys, 'stderr', FakeTerminal())
    assert progress([], desc='a').leave
    with transient_bars():
        assert not progress([], desc='b').leave
    assert progress([], desc='c').leave
