"""Convert a torchvision VGG checkpoint to MMPretrain's VGG checkpoint layout.

    python tools/model_converters/torchvision_vgg2mmpretrain.py SRC DST

torchvision's ``vgg11/13/16/19`` (without BatchNorm; e.g. ``vgg16-397923af.pth``,
the weights of Group-WSSS's code) number the convolutions and ReLUs of
``features`` separately (``features.0``, ``features.2``, ..., ``features.28``),
MMPretrain's ``VGG`` one ``ConvModule`` per convolution (``features.0.conv``,
``features.1.conv``, ..., ``features.16.conv``). DST has the layout of
MMPretrain's own VGG ImageNet checkpoints (``backbone.features.{i}.conv.*`` and
``backbone.classifier.*``, whose layer indices torchvision shares), so it loads
wherever those do: a ``DilatedVGG`` backbone with ``init_cfg=dict(type='Pretrained',
checkpoint=DST, prefix='backbone.')`` (``configs/_base_/models/group_wsss_vgg16.py``).
"""

from __future__ import annotations  # torch in annotations only: --help needs no torch

import argparse
import os.path as osp
import re
from typing import TYPE_CHECKING, Dict, List

if TYPE_CHECKING:
    import torch

if __package__:  # imported as model_converters.torchvision_vgg2mmpretrain (the tests)
    from .torchvision2mmpretrain import read_state, write_state
else:  # run as a script: its folder is on sys.path
    from torchvision2mmpretrain import read_state, write_state

CONV_KEY = re.compile(r'^features\.(\d+)\.(weight|bias)$')


def conv_indices(state: Dict[str, torch.Tensor]) -> List[int]:
    """The ``features`` indices holding a convolution, in order."""
    return sorted({int(m.group(1)) for k in state if (m := CONV_KEY.match(k))})


def convert(state: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """torchvision VGG keys -> MMPretrain VGG checkpoint keys.

    Args:
        state (dict): a torchvision VGG state dict (a ``module.`` prefix of
            DataParallel is dropped).

    Returns:
        dict: ``backbone.features.{i}.conv.{weight,bias}`` and, where SRC has
        them, ``backbone.classifier.*``.

    Raises:
        ValueError: the keys or shapes are not those of a torchvision VGG
            without BatchNorm.
    """
    # isort: off
    import wsss_mm  # noqa: F401  (the stack fixes mmpretrain's torchvision import needs)
    from mmpretrain.models import VGG
    # isort: on

    state = {k[len('module.') :] if k.startswith('module.') else k: v for k, v in state.items()}
    unknown = sorted(k for k in state if not CONV_KEY.match(k) and not k.startswith('classifier.'))
    if unknown:
        raise ValueError(f'not a torchvision VGG without BatchNorm: unknown keys {unknown[:5]}')
    sources = conv_indices(state)
    depth = len(sources) + 3
    if depth not in VGG.arch_settings:
        raise ValueError(f'not a torchvision VGG: {len(sources)} convolutions')
    targets = conv_indices(
        {k.replace('.conv.', '.'): v for k, v in VGG(depth=depth).state_dict().items()}
    )
    out = {}
    for source, target in zip(sources, targets):
        for name in ('weight', 'bias'):
            out[f'backbone.features.{target}.conv.{name}'] = state[f'features.{source}.{name}']
    out.update({f'backbone.{k}': v for k, v in state.items() if k.startswith('classifier.')})
    expected = VGG(depth=depth, num_classes=1000).state_dict()
    wrong = sorted(
        k
        for k, v in out.items()
        if k[len('backbone.') :] not in expected or expected[k[len('backbone.') :]].shape != v.shape
    )
    if wrong:
        raise ValueError(f'not a torchvision VGG-{depth}: wrong keys or shapes {wrong[:5]}')
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='torchvision VGG checkpoint (.pth)')
    parser.add_argument('dst', help='output .pth')
    args = parser.parse_args()
    if not osp.isfile(args.src):
        parser.error(f'checkpoint not found: {args.src}')
    try:
        converted = convert(read_state(args.src))
    except ValueError as e:
        parser.error(f'{args.src}: {e}')
    write_state(args.dst, converted, args.src)


if __name__ == '__main__':
    main()
