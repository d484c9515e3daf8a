"""Per-image work spread over processes, with a progress bar.

Not ``mmengine.utils.track_parallel_progress``: that returns a list only once all
work is done and draws mmengine's bar even off a terminal, whereas this yields
ordered results as they come and uses :func:`wsss_mm.utils.progress.progress`.
"""

import multiprocessing as mp
from typing import Callable, Iterable, Iterator, Sequence, TypeVar

import torch

from wsss_mm.utils.progress import progress

T = TypeVar('T')


def init_worker() -> None:
    """A pool worker's initializer: one torch thread per process (one process per core)."""
    torch.set_num_threads(1)


def parallel_map(
    fn: Callable[[str], T], items: Sequence[str], num_workers: int, desc: str
) -> Iterator[T]:
    """``fn(item)`` for every item, in order, in ``num_workers`` processes.

    With ``num_workers <= 1`` everything runs in this process. ``fn`` must be
    picklable (a module-level function or an instance of a module-level
    class); the processes are forked, so nothing is re-imported.

    Args:
        fn (Callable): the per-item work, e.g. one image.
        items (Sequence[str]): e.g. image ids.
        num_workers (int): processes.
        desc (str): progress-bar label.

    Yields:
        the results, in the order of ``items``.
    """
    if num_workers <= 1 or len(items) <= 1:
        yield from progress(map(fn, items), total=len(items), desc=desc)
        return
    chunk = max(1, min(16, len(items) // (4 * num_workers)))
    with mp.get_context('fork').Pool(num_workers, initializer=init_worker) as pool:
        results: Iterable[T] = pool.imap(fn, items, chunksize=chunk)
        yield from progress(results, total=len(items), desc=desc)
