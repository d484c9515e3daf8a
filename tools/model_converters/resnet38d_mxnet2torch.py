"""Convert the MXNet ImageNet weights of ResNet-38d to a PyTorch checkpoint.

    python tools/model_converters/resnet38d_mxnet2torch.py SRC DST

SRC is the MXNet file of Wu et al. (``ilsvrc-cls_rna-a1_cls1000_ep-0001.params``,
read with mxnet when it is installed) or an ``.npz`` of its arrays (made where
mxnet installs: ``np.savez('r38.npz', **{k: v.asnumpy() for k, v in
mx.nd.load(SRC).items()})``). DST is a ``.pth`` state dict whose keys follow
the PyTorch ports of PSA and SEAM, which ``ResNet38d``'s ``init_cfg`` loads
strictly. See docs/models/resnet38d.md.

MXNet names map as ``[arg:|aux:]conv1a_weight -> conv1a.weight``,
``res2a_branch2a_weight -> b2.conv_branch2a.weight``,
``bn2a_branch2a_gamma/beta/moving_mean/moving_var ->
b2.bn_branch2a.weight/bias/running_mean/running_var``, ``res4b5_... ->
b4_5....``, ``bn7_gamma -> bn7.weight`` and ``linear1000_weight/bias ->
linear1000.weight/bias`` (the ImageNet classifier, which ``ResNet38d`` ignores).
"""

from __future__ import annotations  # torch in annotations only: --help needs no torch

import argparse
import os.path as osp
import re
from typing import TYPE_CHECKING, Dict, Mapping

import numpy as np

if TYPE_CHECKING:
    import torch

_BN_SUFFIXES = {
    'gamma': 'weight',
    'beta': 'bias',
    'moving_mean': 'running_mean',
    'moving_var': 'running_var',
}
_BRANCH_RE = re.compile(
    r'(res|bn)(\d)(a|b\d+)_(branch(?:1|2a|2b1|2b2))_'
    r'(weight|gamma|beta|moving_mean|moving_var)'
)
_BN7_RE = re.compile(r'bn7_(gamma|beta|moving_mean|moving_var)')
_LINEAR_RE = re.compile(r'linear1000_(weight|bias)')


def convert_name(name: str) -> str:
    """Maps one MXNet ResNet-38d parameter name (no ``arg:``/``aux:``) to its
    PyTorch key.

    Raises:
        ValueError: the name is not a ResNet-38d parameter.
    """
    if name == 'conv1a_weight':
        return 'conv1a.weight'
    match = _BRANCH_RE.fullmatch(name)
    if match:
        kind, stage, unit, branch, suffix = match.groups()
        block = f'b{stage}' if unit == 'a' else f'b{stage}_{unit[1:]}'
        if kind == 'res' and suffix == 'weight':
            return f'{block}.conv_{branch}.weight'
        if kind == 'bn' and suffix in _BN_SUFFIXES:
            return f'{block}.bn_{branch}.{_BN_SUFFIXES[suffix]}'
    match = _BN7_RE.fullmatch(name)
    if match:
        return f'bn7.{_BN_SUFFIXES[match.group(1)]}'
    match = _LINEAR_RE.fullmatch(name)
    if match:
        return f'linear1000.{match.group(1)}'
    raise ValueError(f'unrecognized ResNet-38d MXNet parameter: {name!r}')


def convert_mxnet_resnet38d(params: Mapping[str, np.ndarray]) -> Dict[str, torch.Tensor]:
    """Converts the MXNet ImageNet weights of ResNet-38d to a state dict.

    Args:
        params (Mapping[str, np.ndarray]): MXNet parameter name -> array, with
            or without the ``arg:`` / ``aux:`` prefixes of ``mxnet.nd.load``.

    Returns:
        dict[str, Tensor]: PyTorch key -> tensor (same shapes as in MXNet).

    Raises:
        ValueError: a name is not a ResNet-38d parameter.
    """
    import torch

    return {
        convert_name(re.sub(r'^(arg|aux):', '', name)): torch.from_numpy(
            np.ascontiguousarray(value)
        )
        for name, value in params.items()
    }


def load_params(path: str) -> Dict[str, np.ndarray]:
    """The arrays of an ``.npz`` or, with mxnet installed, an MXNet ``.params`` file.

    Raises:
        FileNotFoundError: no such file.
        ImportError: a ``.params`` file without mxnet (the message says how
            to convert it elsewhere).
    """
    if not osp.isfile(path):
        raise FileNotFoundError(f'MXNet weights not found: {path}')
    if path.endswith('.npz'):
        with np.load(path, allow_pickle=False) as data:
            return {k: data[k] for k in data.files}
    try:
        import mxnet as mx
    except ImportError as e:
        raise ImportError(
            f'{path}: reading an MXNet .params file needs mxnet, which does not install on '
            'recent Pythons; where it installs, save the arrays with np.savez(...) and pass '
            'the .npz (see this script\'s docstring)'
        ) from e
    return {k: v.asnumpy() for k, v in mx.nd.load(path).items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('src', help='MXNet .params file or .npz of its arrays')
    parser.add_argument('dst', help='output .pth')
    args = parser.parse_args()
    import torch

    state = convert_mxnet_resnet38d(load_params(args.src))
    torch.save(state, args.dst)
    print(f'wrote {len(state)} tensors to {args.dst}')


if __name__ == '__main__':
    main()
