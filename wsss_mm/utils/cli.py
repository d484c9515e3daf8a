"""Command-line entry points: bad input ends in one clear line, not a traceback;
numeric options are checked against their allowed ranges."""

import argparse
import math
import os
import sys
from dataclasses import dataclass
from typing import Callable, Mapping, Union

from .io import ImageReadError

USER_ERRORS = (
    FileNotFoundError,
    ImageReadError,
    ValueError,
    KeyError,
    TypeError,
    FloatingPointError,
)


def run_cli(main: Callable[[], None]) -> None:
    """Runs ``main``; an input error prints ``<tool>: error: <message>`` and exits 2.

    Set ``WSSS_MM_DEBUG=1`` to see the traceback instead.
    """
    try:
        main()
    except USER_ERRORS as e:
        if os.environ.get('WSSS_MM_DEBUG'):
            raise
        message = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(
            f'{os.path.basename(sys.argv[0])}: error: {message}\n'
            '(set WSSS_MM_DEBUG=1 for the traceback)',
            file=sys.stderr,
        )
        sys.exit(2)


@dataclass(frozen=True)
class ValueRange:
    """The values a numeric command-line option allows: finite numbers from
    ``low`` to ``high`` (each bound excluded where ``*_open``)."""

    low: float = -math.inf
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False

    def __contains__(self, value: float) -> bool:
        return (
            math.isfinite(value)
            and (value > self.low if self.low_open else value >= self.low)
            and (value < self.high if self.high_open else value <= self.high)
        )

    def __str__(self) -> str:
        bounds = []
        if self.low > -math.inf:
            bounds.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high < math.inf:
            bounds.append(f"{'<' if self.high_open else '<='} {self.high:g}")
        return ' and '.join(bounds) or 'a number'


def at_least(low: float) -> ValueRange:
    """``value >= low``."""
    return ValueRange(low)


def positive() -> ValueRange:
    """``value > 0``."""
    return ValueRange(0, low_open=True)


def between(low: float, high: float, low_open: bool = False) -> ValueRange:
    """``low <= value <= high`` (``low < value`` with ``low_open``)."""
    return ValueRange(low, high, low_open=low_open)


def check_ranges(
    parser: argparse.ArgumentParser,
    args: argparse.Namespace,
    ranges: Mapping[str, ValueRange],
) -> None:
    """Checks parsed numeric options against their ranges; the first value out
    of range ends the program through ``parser.error`` (usage, then
    ``argument --flag: must be >= 0, got -2``; exit code 2).

    Args:
        parser: the tool's parser.
        args: its parsed arguments.
        ranges: ``{'--flag': ValueRange}``; the value is read from the flag's
            attribute (``--num-vis`` -> ``args.num_vis``); None (not given, no
            default) is not checked; a list (``nargs``) is checked value by value.
    """
    for flag, allowed in ranges.items():
        value: Union[None, float, list] = getattr(args, flag.lstrip('-').replace('-', '_'))
        if value is None:
            continue
        values = value if isinstance(value, (list, tuple)) else [value]
        if any(v not in allowed for v in values):
            each = 'each value ' if len(values) > 1 else ''
            shown = ' '.join(str(v) if isinstance(v, int) else f'{v:g}' for v in values)
            parser.error(f'argument {flag}: {each}must be {allowed}, got {shown}')
