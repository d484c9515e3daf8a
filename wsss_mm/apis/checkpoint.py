"""Reading checkpoints and choosing devices with one-line errors: a file that is
not a checkpoint, a checkpoint of another network, or a device that this machine
lacks is named with what was expected, never as a traceback."""

import os.path as osp
import pickle
import re
from collections import Counter
from typing import Dict, Iterable, Mapping, Optional

import torch
import torch.nn as nn
from mmengine.config import Config
from mmengine.runner import load_state_dict

#: first bytes of torch.save's files: a zip archive, or the legacy format (a pickle,
#: protocol 2+)
_MAGIC = (b'PK\x03\x04', b'\x80')


def check_checkpoint_file(path: str, what: str = 'checkpoint') -> None:
    """Cheap check that ``path`` starts as a file written by ``torch.save`` (a
    zip archive, or torch's legacy pickle format) does, without reading it.

    Raises:
        FileNotFoundError: ``path`` does not exist (named).
        ValueError: ``path`` is something else, e.g. a text file.
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'{what} not found: {path}')
    with open(path, 'rb') as f:
        head = f.read(64)
    if head.startswith(_MAGIC):
        return
    text = head.decode('utf-8', 'replace').splitlines()[0][:40] if head.strip() else ''
    seen = f'it starts with "{text}"' if text.isprintable() and text else 'unknown format'
    raise ValueError(
        f'{what} {path} is not a PyTorch checkpoint ({seen}): expected a .pth file '
        "written by torch.save, such as tools/train.py's work_dirs/<config>/epoch_N.pth"
    )


def read_checkpoint(path: str, what: str = 'checkpoint') -> dict:
    """Loads a checkpoint weights-only (tensors, numbers and MMEngine's
    checkpoint types, ``wsss_mm/compat.py``) on the CPU.

    Returns:
        dict: the checkpoint; a bare state dict is returned as it is.

    Raises:
        FileNotFoundError: ``path`` does not exist.
        ValueError: not a checkpoint, truncated or corrupt, or holding pickled
            objects that weights-only loading refuses (named, with no advice
            to turn the protection off).
    """
    check_checkpoint_file(path, what)
    try:
        checkpoint = torch.load(path, map_location='cpu', weights_only=True)
    except pickle.UnpicklingError as e:
        found = re.search(r'GLOBAL (\S+)', str(e))
        kind = f'an object of type {found.group(1)}' if found else 'pickled objects'
        raise ValueError(
            f'{what} {path} holds {kind}, which is refused: a checkpoint holds tensors, '
            "numbers and MMEngine's checkpoint data only, and unpickling anything else "
            "could run code from the file; re-save the network's state_dict where it "
            "was made (torch.save({'state_dict': model.state_dict()}, PATH))"
        ) from None
    except (RuntimeError, EOFError, KeyError, OSError) as e:
        reason = str(e).strip().splitlines()[0][:120] if str(e).strip() else type(e).__name__
        raise ValueError(
            f'{what} {path} could not be read (truncated or corrupt? {reason}): '
            'expected a complete .pth file written by torch.save'
        ) from None
    if not isinstance(checkpoint, Mapping):
        raise ValueError(
            f'{what} {path} holds a {type(checkpoint).__name__}, expected a dict '
            '(a state dict, or a checkpoint with a "state_dict" entry)'
        )
    return checkpoint


def state_dict_of(checkpoint: Mapping) -> Dict[str, torch.Tensor]:
    """The tensors of a checkpoint (its ``state_dict`` entry, else itself),
    without DataParallel's ``module.`` prefix."""
    state = checkpoint.get('state_dict', checkpoint)
    return {k[len('module.') :] if k.startswith('module.') else k: v for k, v in state.items()}


def _prefixes(keys: Iterable[str], shown: int = 4) -> str:
    """``backbone.layer4.* (15), head.fc.* (2) and 3 more`` for a set of keys."""
    counts = Counter('.'.join(k.split('.')[:2]) + ('.*' if k.count('.') > 1 else '') for k in keys)
    parts = [f'{prefix} ({n})' for prefix, n in counts.most_common(shown)]
    more = len(counts) - shown
    return ', '.join(parts) + (f' and {more} more' if more > 0 else '')


def made_with(checkpoint: Mapping) -> str:
    """What the checkpoint's MMEngine ``meta`` says made it: the config name of
    its run and its model type, e.g. ``config cam_r50_voc.py (CAMClassifier,
    ResNet)``; '' when it says nothing."""
    meta = checkpoint.get('meta')
    if not isinstance(meta, Mapping):
        return ''
    found = []
    name = meta.get('experiment_name')
    if isinstance(name, str):  # <config name>_<YYYYmmdd_HHMMSS>
        found.append(f"config {re.sub(r'_[0-9]{8}_[0-9]{6}$', '', name)}.py")
    text = meta.get('cfg')
    if isinstance(text, str):
        try:
            model = Config.fromstring(text, '.py').get('model', {})
            types = [model.get('type'), model.get('backbone', {}).get('type')]
            found.append('(' + ', '.join(str(t) for t in types if t) + ')')
        except Exception:  # an old or custom config text: the name is enough
            pass
    return ' '.join(found)


def check_state_fits(
    model: nn.Module, state: Mapping[str, torch.Tensor], path: str, checkpoint: Mapping
) -> None:
    """Checks that ``state`` has exactly ``model``'s keys and shapes.

    Raises:
        ValueError: one line naming the missing and unexpected key prefixes,
            the first wrong shapes, and what made the checkpoint (its meta).
    """
    expected = model.state_dict()
    missing = set(expected) - set(state)
    unexpected = set(state) - set(expected)
    wrong = sorted(
        k for k in set(expected) & set(state) if tuple(expected[k].shape) != tuple(state[k].shape)
    )
    if not (missing or unexpected or wrong):
        return
    problems = []
    if missing:
        problems.append(f'missing {len(missing)} keys: {_prefixes(missing)}')
    if unexpected:
        problems.append(f'unexpected {len(unexpected)} keys: {_prefixes(unexpected)}')
    if wrong:
        shapes = ', '.join(
            f'{k} {tuple(state[k].shape)} (model {tuple(expected[k].shape)})' for k in wrong[:2]
        )
        problems.append(f'{len(wrong)} wrong shapes: {shapes}')
    source = made_with(checkpoint)
    made = f'; it was saved by a run of {source}' if source else ''
    raise ValueError(
        f'checkpoint {path} does not fit the network of the config ({"; ".join(problems)})'
        f'{made}: pass the config it was trained with, or a checkpoint of this config'
    )


def load_weights(model: nn.Module, path: str, what: str = 'checkpoint') -> dict:
    """Loads a checkpoint into ``model`` strictly, with one-line errors
    (:func:`read_checkpoint`, :func:`check_state_fits`).

    Returns:
        dict: the checkpoint.
    """
    checkpoint = read_checkpoint(path, what)
    state = state_dict_of(checkpoint)
    check_state_fits(model, state, path, checkpoint)
    load_state_dict(model, state, strict=True)
    return checkpoint


def check_device(device: Optional[str]) -> None:
    """Checks a ``--device`` value: a device name torch knows, and CUDA only
    where this machine has it.

    Raises:
        ValueError: an unknown device, or ``cuda`` without CUDA / beyond the
            visible GPUs.
    """
    if device is None:
        return
    try:
        parsed = torch.device(device)
    except RuntimeError:
        raise ValueError(f'--device: unknown device "{device}", expected cpu, cuda or cuda:N')
    if parsed.type != 'cuda':
        return
    if not torch.cuda.is_available():
        why = (
            'this PyTorch is built without CUDA'
            if torch.version.cuda is None
            else 'no GPU is visible (CUDA_VISIBLE_DEVICES, driver)'
        )
        raise ValueError(f'--device {device}: {why}; use --device cpu')
    if parsed.index is not None and parsed.index >= torch.cuda.device_count():
        raise ValueError(
            f'--device {device}: this machine has {torch.cuda.device_count()} GPU(s), '
            f'cuda:0 to cuda:{torch.cuda.device_count() - 1}'
        )
