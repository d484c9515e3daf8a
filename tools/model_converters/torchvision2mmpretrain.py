"""Convert a torchvision ResNet checkpoint to MMPretrain's ResNet keys.

    python tools/model_converters/torchvision2mmpretrain.py SRC DST [--keep-head]

torchvision's ``resnet18/34/50/101/152`` state dicts name their layers as
MMPretrain's ``ResNet`` does (``conv1``, ``bn1``, ``layer1.0.conv1``, ...,
``downsample.0/1``); only the classifier differs (``fc`` against ``head.fc``).
DST holds the backbone keys, checked against an MMPretrain ``ResNet`` of the
same depth, ready for a backbone's ``init_cfg=dict(type='Pretrained',
checkpoint=DST)``. With ``--keep-head`` DST is a whole MMPretrain classifier
checkpoint (``backbone.*`` and ``head.fc.*``; load a backbone from it with
``prefix='backbone.'``).
"""

from __future__ import annotations  # torch in annotations only: --help needs no torch

import argparse
import os.path as osp
from typing import TYPE_CHECKING, Dict

if TYPE_CHECKING:
    import torch

DEPTHS = {(2, 2, 2, 2): 18, (3, 4, 6, 3): 34, (3, 4, 23, 3): 101, (3, 8, 36, 3): 152}


def resnet_depth(state: Dict[str, torch.Tensor]) -> int:
    """The depth of a torchvision ResNet from its number of blocks per stage."""
    blocks = tuple(
        len({k.split('.')[1] for k in state if k.startswith(f'layer{i}.')}) for i in range(1, 5)
    )
    bottleneck = any('conv3' in k for k in state)
    if blocks == (3, 4, 6, 3):
        return 50 if bottleneck else 34
    if blocks not in DEPTHS:
        raise ValueError(f'not a torchvision ResNet: blocks per stage {blocks}')
    return DEPTHS[blocks]


def convert(state: Dict[str, torch.Tensor], keep_head: bool = False) -> Dict[str, torch.Tensor]:
    """torchvision ResNet keys -> MMPretrain keys.

    Args:
        state (dict): a torchvision ResNet state dict (a ``module.`` prefix of
            DataParallel is dropped).
        keep_head (bool): keep ``fc`` as ``head.fc`` and prefix the backbone
            keys with ``backbone.`` (a whole classifier checkpoint).

    Returns:
        dict: the converted state dict.

    Raises:
        ValueError: the keys or shapes are not those of an MMPretrain ResNet.
    """
    # isort: off
    import wsss_mm  # noqa: F401  (the stack fixes mmpretrain's torchvision import needs)
    from mmpretrain.models import ResNet
    # isort: on

    state = {k[len('module.') :] if k.startswith('module.') else k: v for k, v in state.items()}
    backbone = {k: v for k, v in state.items() if not k.startswith('fc.')}
    expected = ResNet(depth=resnet_depth(backbone)).state_dict()
    missing = sorted(set(expected) - set(backbone))
    unknown = sorted(set(backbone) - set(expected))
    wrong = sorted(
        k for k in set(expected) & set(backbone) if expected[k].shape != backbone[k].shape
    )
    if missing or unknown or wrong:
        raise ValueError(
            f'not a torchvision ResNet state dict: missing {missing[:5]}, '
            f'unknown {unknown[:5]}, wrong shapes {wrong[:5]}'
        )
    if not keep_head:
        return backbone
    out = {'backbone.' + k: v for k, v in backbone.items()}
    out.update({'head.' + k: v for k, v in state.items() if k.startswith('fc.')})
    return out


def read_state(path: str) -> Dict[str, torch.Tensor]:
    """The tensors of a torchvision checkpoint: the file's dict, or its
    ``state_dict`` / ``model`` entry."""
    import torch

    state = torch.load(path, map_location='cpu', weights_only=True)
    for key in ('state_dict', 'model'):
        if isinstance(state, dict) and key in state and isinstance(state[key], dict):
            state = state[key]
    return state


def write_state(path: str, converted: Dict[str, torch.Tensor], src: str) -> None:
    """Saves converted tensors as an MMEngine checkpoint (``state_dict``, and
    the source file's name in ``meta``) and says so."""
    import torch

    torch.save(dict(state_dict=converted, meta=dict(source=osp.basename(src))), path)
    print(f'wrote {len(converted)} tensors to {path}')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='torchvision ResNet checkpoint (.pth)')
    parser.add_argument('dst', help='output .pth')
    parser.add_argument(
        '--keep-head', action='store_true', help='write a whole MMPretrain classifier checkpoint'
    )
    args = parser.parse_args()
    if not osp.isfile(args.src):
        parser.error(f'checkpoint not found: {args.src}')
    try:
        converted = convert(read_state(args.src), args.keep_head)
    except ValueError as e:
        parser.error(f'{args.src}: {e}')
    write_state(args.dst, converted, args.src)


if __name__ == '__main__':
    main()
