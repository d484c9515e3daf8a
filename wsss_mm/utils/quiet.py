"""A quiet terminal: MMEngine's logs go to their files, not the console.

Inside :func:`quiet_console`:

- every ``MMLogger`` (those already there and those a Runner creates, e.g.
  in ``Runner.__init__`` before its config and environment dumps) prints only
  warnings and errors on the console, less the notices of :data:`FILE_ONLY`;
  its file handler (a Runner's ``WORK_DIR/<timestamp>/<timestamp>.log``) still
  records everything at its level, so nothing is lost there;
- Python warnings raised in third-party code (mmengine, mmseg, torch, ...) and
  the checkpoint loader's "Loads checkpoint by ... backend" lines go to the
  log file of the newest logger created inside the context, else to
  ``log_file``; warnings raised in ``wsss_mm`` itself stay on the terminal;
- a finished progress bar vanishes from the terminal
  (:func:`wsss_mm.utils.progress.transient_bars`).

It yields the log files of the MMEngine loggers created inside it, in order.
"""

import contextlib
import logging
import os
import os.path as osp
import warnings
from typing import Iterator, List, Optional
from unittest import mock

import mmengine.runner.checkpoint as mm_checkpoint
from mmengine.logging import MMLogger
from mmengine.logging.logger import FilterDuplicateWarning, MMFormatter

from .progress import transient_bars

PACKAGE_DIR = osp.dirname(osp.dirname(osp.abspath(__file__)))
#: MMEngine warnings that a quiet console leaves to the log file (matched
#: lower-case): deprecation notices ("FileClient" will be deprecated ...) and
#: mmseg's IoUMetric without a prefix, logged by every segmentation Runner
FILE_ONLY = ('deprecat', 'the prefix is not set in metric class')


class ConsoleFilter(logging.Filter):
    """Passes warnings and errors, except the notices of :data:`FILE_ONLY`."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.getMessage()).lower()
        return record.levelno >= logging.WARNING and not any(s in message for s in FILE_ONLY)


def is_console_handler(handler: logging.Handler) -> bool:
    """A ``StreamHandler`` that is not a file handler."""
    return isinstance(handler, logging.StreamHandler) and not isinstance(
        handler, logging.FileHandler
    )


def file_handlers(logger: logging.Logger) -> List[logging.FileHandler]:
    return [h for h in logger.handlers if isinstance(h, logging.FileHandler)]


def raised_in_wsss_mm(filename: str) -> bool:
    return osp.abspath(filename).startswith(PACKAGE_DIR + os.sep)


@contextlib.contextmanager
def quiet_console(log_file: Optional[str] = None, enabled: bool = True) -> Iterator[List[str]]:
    """Mutes the console output of MMEngine (see the module docstring).

    Args:
        log_file (str, optional): where third-party warnings and the
            checkpoint loader's lines go while no logger created inside the
            context has a log file (appended; created on the first line).
        enabled (bool): False: nothing is muted, only the log files are
            recorded (``--verbose``).

    Yields:
        list: the log files of the MMEngine loggers created inside the
        context, filled as they are created.
    """
    log_files: List[str] = []
    created: List[MMLogger] = []
    original_init = MMLogger.__init__
    filtered: List[logging.Handler] = []
    console_filter = ConsoleFilter()

    def mute(logger: logging.Logger) -> None:
        for handler in logger.handlers:
            if is_console_handler(handler) and console_filter not in handler.filters:
                handler.addFilter(console_filter)
                filtered.append(handler)

    def init(self, *args, **kwargs):
        original_init(self, *args, **kwargs)
        created.append(self)
        if file_handlers(self):
            log_files.append(self.log_file)
        if enabled:
            mute(self)

    with contextlib.ExitStack() as stack:
        stack.enter_context(mock.patch.object(MMLogger, '__init__', init))
        if not enabled:
            yield log_files
            return
        own = None
        if log_file is not None:
            os.makedirs(osp.dirname(osp.abspath(log_file)), exist_ok=True)
            own = logging.FileHandler(log_file, 'a', delay=True)
            own.setFormatter(MMFormatter(color=False, datefmt='%Y/%m/%d %H:%M:%S'))
            own.addFilter(FilterDuplicateWarning('wsss_mm'))
            stack.callback(own.close)

        def sinks() -> List[logging.Handler]:
            for logger in reversed(created):
                if file_handlers(logger):
                    return file_handlers(logger)
            return [own] if own is not None else []

        def to_sinks(msg: str, level: int, filename: str = '', lineno: int = 0) -> bool:
            handlers = sinks()
            record = logging.LogRecord('mmengine', level, filename, lineno, msg, None, None)
            for handler in handlers:
                if record.levelno >= handler.level:
                    handler.handle(record)
            return bool(handlers)

        show_original = warnings.showwarning

        def showwarning(message, category, filename, lineno, file=None, line=None):
            if raised_in_wsss_mm(filename) or not to_sinks(
                warnings.formatwarning(message, category, filename, lineno, line).rstrip(),
                logging.WARNING,
                filename,
                lineno,
            ):
                show_original(message, category, filename, lineno, file, line)

        print_log = mm_checkpoint.print_log

        def checkpoint_log(msg, logger=None, level=logging.INFO):
            if logger is None:  # print() in MMEngine: the log file or nowhere
                to_sinks(msg, level)
            else:
                print_log(msg, logger=logger, level=level)

        for logger in list(MMLogger._instance_dict.values()):
            mute(logger)
        stack.callback(lambda: [h.removeFilter(console_filter) for h in filtered])
        stack.enter_context(mock.patch.object(warnings, 'showwarning', showwarning))
        stack.enter_context(mock.patch.object(mm_checkpoint, 'print_log', checkpoint_log))
        stack.enter_context(transient_bars())
        yield log_files
