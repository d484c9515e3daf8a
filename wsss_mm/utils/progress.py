"""Progress bars for long loops: live on a terminal, a few lines in log files.

Not ``mmengine.utils.track_progress``: its bar redraws on every item whether or
not stdout is a terminal, which floods log files.
"""

import contextlib
import math
import sys
from typing import Iterable, Iterator, Optional

from tqdm import tqdm

_KEEP_FINISHED = [True]


@contextlib.contextmanager
def transient_bars() -> Iterator[None]:
    """Inside it, a finished bar on a terminal vanishes instead of staying
    (the pipeline's stage line reports the time)."""
    _KEEP_FINISHED.append(False)
    try:
        yield
    finally:
        _KEEP_FINISHED.pop()


def progress(
    iterable: Iterable, total: Optional[int] = None, desc: str = '', unit: str = 'img'
) -> tqdm:
    """A tqdm bar on stderr.

    On a terminal it refreshes every 0.1 s. Otherwise (CI logs, ``2> file``)
    it writes nothing for a loop done within 30 s and at most five updates
    for a longer one: at each quarter of ``total`` (at least 30 s apart) and
    at the end.
    """
    if sys.stderr.isatty():
        return tqdm(
            iterable, total=total, desc=desc, unit=unit, mininterval=0.1, leave=_KEEP_FINISHED[-1]
        )
    if total is None and hasattr(iterable, '__len__'):
        total = len(iterable)
    quarter = math.ceil(total / 4) if total else None
    # maxinterval=inf: tqdm's monitor thread would otherwise drop miniters to 1
    return tqdm(
        iterable,
        total=total,
        desc=desc,
        unit=unit,
        mininterval=30,
        delay=30,
        miniters=quarter,
        maxinterval=math.inf,
    )
