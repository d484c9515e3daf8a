"""Progress bars for long loops: live on a terminal, sparse in log files."""
import sys
from typing import Iterable, Optional

from tqdm import tqdm


def progress(iterable: Iterable, total: Optional[int] = None, desc: str = '',
             unit: str = 'img') -> tqdm:
    """A tqdm bar that refreshes every 0.1 s on a terminal, every 30 s otherwise."""
    interval = 0.1 if sys.stderr.isatty() else 30
    return tqdm(iterable, total=total, desc=desc, unit=unit, mininterval=interval)
