"""Command-line entry points: bad input ends in one clear line, not a traceback."""

import os
import sys
from typing import Callable

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
