"""Output folders that know their recipe (docs/design.md, "Output folders know
their recipe").

A resumable stage writes one file per image into a folder, and a rerun skips
the files already there. So that a rerun never keeps files made another way,
the stage records what makes them, its *recipe* (the settings that matter,
the checkpoint's identity, the input folders', the split, the data root), in
``<folder>/.recipe.json`` before it writes the first file:

- no record and none of the stage's files: the record is written, every file made;
- the same recipe: the stage resumes: files that are there and whole
  (:func:`wsss_mm.utils.io.file_defect`) are kept, the others (re)made;
- another recipe (or files without a record): refused with
  :class:`RecipeMismatchError`, naming the settings that differ and the fix,
  unless ``overwrite``: then the record is replaced and every file remade.

A recipe is a JSON-able nested dict; it is compared key by key after
flattening (``model.backbone.depth``, ``cam_infer.scales``), so a refusal
names the keys that differ. Nothing here knows about models or configs.
"""

import hashlib
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence, Union

from .io import atomic_path, file_defect

#: the record's file name in an output folder (hidden: never taken for an image)
RECORD_NAME = '.recipe.json'
#: the version of the record's layout
RECORD_FORMAT = 1
#: ``overwrite`` value: remake every file only where the folder was made
#: another way (a pipeline's own folders, whose recipe the work dir vouches for)
IF_STALE = 'if-stale'
#: differences named in a refusal (the others are counted)
SHOWN_DIFFERENCES = 6

Overwrite = Union[bool, str]


class RecipeMismatchError(ValueError):
    """An output folder holds files made by another recipe (or by an unknown one)."""


def canonical(recipe: Mapping) -> dict:
    """``recipe`` as JSON reads it back: tuples become lists, other
    non-JSON values their ``str``."""
    return json.loads(json.dumps(recipe, sort_keys=True, default=str))


def flatten(tree: Any, prefix: str = '') -> Dict[str, Any]:
    """Dotted keys of a nested dict: ``{'a': {'b': 1}}`` -> ``{'a.b': 1}``.

    Lists that hold dicts or lists are flattened by index (``pipeline.1.scale``);
    lists of plain values stay whole (``scales: [1.0, 0.5]``).
    """
    if isinstance(tree, dict):
        items = tree.items()
    elif isinstance(tree, list) and any(isinstance(v, (dict, list)) for v in tree):
        items = ((str(i), v) for i, v in enumerate(tree))
    else:
        return {prefix: tree}
    flat = {}
    for key, value in items:
        flat.update(flatten(value, f'{prefix}.{key}' if prefix else str(key)))
    return flat


def digest(value: Any) -> str:
    """A short SHA-1 of a JSON-able value (12 hex digits)."""
    text = json.dumps(value, sort_keys=True, default=str)
    return hashlib.sha1(text.encode()).hexdigest()[:12]


def _mtime(path: str) -> str:
    return datetime.fromtimestamp(os.stat(path).st_mtime, timezone.utc).isoformat()


def file_identity(path: Optional[str]) -> Optional[dict]:
    """Who a file (e.g. a checkpoint) is: ``{path (absolute), size, mtime}``;
    None for None (e.g. a network as initialised)."""
    if path is None:
        return None
    path = osp.abspath(path)
    if not osp.isfile(path):
        return dict(path=path, size=None, mtime=None)
    return dict(path=path, size=osp.getsize(path), mtime=_mtime(path))


def folder_identity(folder: Optional[str]) -> Optional[dict]:
    """Who an input folder is: its absolute path and the digest of its
    recipe record; a folder without a record (files made elsewhere) by the
    number, total size and latest mtime of its files. None for None."""
    if folder is None:
        return None
    path = osp.abspath(folder)
    record = read_record(folder)
    if record is not None:
        return dict(path=path, recipe=digest(record.get('recipe')))
    entries = [e for e in os.scandir(folder) if e.is_file()] if osp.isdir(folder) else []
    stats = [e.stat() for e in entries]
    latest = max((s.st_mtime for s in stats), default=0.0)
    return dict(
        path=path,
        files=len(stats),
        bytes=sum(s.st_size for s in stats),
        mtime=datetime.fromtimestamp(latest, timezone.utc).isoformat(),
    )


def split_identity(ids: Sequence[str], split_file: Optional[str] = None) -> dict:
    """Which images: the split file (absolute; None when the ids were given
    directly), their number and a digest of the ids in order."""
    return dict(file=split_file and osp.abspath(split_file), images=len(ids), ids=digest(list(ids)))


def record_path(folder: str) -> str:
    """``<folder>/.recipe.json``."""
    return osp.join(folder, RECORD_NAME)


def read_record(folder: str) -> Optional[dict]:
    """The folder's record (``{'format', 'recipe', 'written'}``); None when
    there is none.

    Raises:
        RecipeMismatchError: the record is not readable JSON (named).
    """
    path = record_path(folder)
    if not osp.isfile(path):
        return None
    try:
        with open(path, encoding='utf-8') as f:
            record = json.load(f)
    except (OSError, ValueError) as e:
        raise RecipeMismatchError(f'{path}: unreadable recipe record ({e})') from e
    if not isinstance(record, dict) or 'recipe' not in record:
        raise RecipeMismatchError(f'{path}: not a recipe record (no "recipe" key)')
    return record


def write_record(folder: str, recipe: Mapping) -> None:
    """Writes ``<folder>/.recipe.json`` atomically (the folder is created)."""
    record = dict(
        format=RECORD_FORMAT,
        recipe=canonical(recipe),
        written=datetime.now(timezone.utc).isoformat(timespec='seconds'),
    )
    with atomic_path(record_path(folder)) as tmp, open(tmp, 'w', encoding='utf-8') as f:
        json.dump(record, f, indent=1, sort_keys=True)
        f.write('\n')


def _short(value: Any, width: int = 80) -> str:
    """``repr(value)``, its middle cut out where it is longer than ``width``
    (paths differ at their ends)."""
    text = repr(value)
    if len(text) <= width:
        return text
    half = (width - 3) // 2
    return f'{text[:half]}...{text[-half:]}'


#: the keys of an identity (:func:`file_identity`, :func:`folder_identity`,
#: :func:`split_identity`) that name it; where one differs, the others' changes go unsaid
NAMING_KEYS = ('path', 'file')


def differences(old: Mapping, new: Mapping) -> List[str]:
    """``key: old -> new`` for every flattened key whose value differs
    (``(none)`` where a side lacks the key), in key order; where an
    identity's path differs, not its size, mtime, ... too."""
    old, new = flatten(canonical(old)), flatten(canonical(new))
    missing = '(none)'
    changed = [
        key for key in sorted(set(old) | set(new)) if old.get(key, missing) != new.get(key, missing)
    ]
    renamed = set()
    for key in changed:
        parent, dot, leaf = key.rpartition('.')
        if dot and leaf in NAMING_KEYS:
            renamed.add(parent)
    return [
        f'{key}: {_short(old.get(key, missing))} -> {_short(new.get(key, missing))}'
        for key in changed
        if key.rpartition('.')[0] not in renamed or key.rpartition('.')[2] in NAMING_KEYS
    ]


def claim_folder(
    folder: str,
    recipe: Mapping,
    overwrite: Overwrite = False,
    has_outputs: bool = False,
    flag: str = '--out-dir',
) -> bool:
    """Makes ``folder`` the output of ``recipe``: checks its record, writes
    the new one, and says whether the files already there may be kept.

    Args:
        folder (str): the output folder (created).
        recipe (Mapping): what makes its files (JSON-able, nested).
        overwrite (bool | str): False: refuse a folder made by another recipe;
            True: remake every file; :data:`IF_STALE`: remake every file where
            the folder was made by another recipe, else resume.
        has_outputs (bool): whether files of this stage are there already
            (only asked when the folder has no record).
        flag (str): the command-line option that names the folder, for the
            message (``--out-dir``, ``--work-dir``).

    Returns:
        bool: True when the files there are of this recipe and may be kept.

    Raises:
        RecipeMismatchError: the folder holds files of another recipe, or
            files without a record, and ``overwrite`` is False. The one-line
            message names the folder, the keys that differ (old -> new) and
            the fix.
        ValueError: an unknown ``overwrite``.
    """
    if overwrite not in (False, True, IF_STALE):
        raise ValueError(f'overwrite must be False, True or "{IF_STALE}", got {overwrite!r}')
    os.makedirs(folder, exist_ok=True)
    new = canonical(recipe)
    try:
        record = read_record(folder)
    except RecipeMismatchError as e:
        record, stale, reason = None, True, str(e)
    else:
        if record is None:
            stale = has_outputs
            reason = (
                f'{folder} holds files but no recipe record ({RECORD_NAME}): made by an '
                'older version or by another program'
            )
        else:
            changed = differences(record['recipe'], new)
            stale = bool(changed)
            more = len(changed) - SHOWN_DIFFERENCES
            listed = '; '.join(changed[:SHOWN_DIFFERENCES])
            reason = f'{folder} was made by another recipe ({RECORD_NAME}): {listed}' + (
                f'; and {more} more' if more > 0 else ''
            )
    if stale and overwrite is False:
        raise RecipeMismatchError(
            f'{reason}. Rerun with --overwrite to redo it, or choose a new {flag}'
        )
    if stale or record is None:
        write_record(folder, new)
    return not stale and overwrite is not True


@dataclass
class ResumePlan:
    """What a resumable per-image stage still has to write.

    Attributes:
        todo (list[str]): the ids to write, in split order.
        unreadable (list[str]): ids (also in ``todo``) whose file was there
            but is not whole (:func:`~wsss_mm.utils.io.file_defect`).
        total (int): the ids of the split.
    """

    todo: List[str] = field(default_factory=list)
    unreadable: List[str] = field(default_factory=list)
    total: int = 0

    def summary(self) -> dict:
        """``{'done': n written now, 'skipped': n kept, 'total': n,
        'unreadable': n of the written that replaced a broken file}``."""
        return dict(
            done=len(self.todo),
            skipped=self.total - len(self.todo),
            total=self.total,
            unreadable=len(self.unreadable),
        )


def repaired_note(summary: Mapping) -> str:
    """`` (N of them replace files that were not whole)`` for a stage's
    summary where N > 0 (the tools' report lines), else ``''``."""
    count = summary.get('unreadable', 0)
    return f' ({count} of them replace files that were not whole)' if count else ''


def plan_resume(
    folder: str,
    recipe: Mapping,
    ids: Sequence[str],
    path_of: Callable[[str], str],
    overwrite: Overwrite = False,
    flag: str = '--out-dir',
) -> ResumePlan:
    """Claims ``folder`` for ``recipe`` (:func:`claim_folder`) and lists the
    ids whose file ``path_of(id)`` is still to write: all of them when the
    files there may not be kept, else those whose file is missing or not whole.

    Raises:
        RecipeMismatchError: see :func:`claim_folder`.
    """
    ids = list(ids)
    present = [osp.isfile(path_of(i)) for i in ids]
    keep = claim_folder(folder, recipe, overwrite, any(present), flag)
    if not keep:
        return ResumePlan(todo=ids, total=len(ids))
    unreadable = [i for i, there in zip(ids, present) if there and file_defect(path_of(i))]
    broken = set(unreadable)
    todo = [i for i, there in zip(ids, present) if not there or i in broken]
    return ResumePlan(todo=todo, unreadable=unreadable, total=len(ids))
