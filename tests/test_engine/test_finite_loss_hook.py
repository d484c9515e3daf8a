"""FiniteLossHook stops training on NaN / inf losses, naming them."""

import types

import pytest
import torch

from wsss_mm.engine.hooks import FiniteLossHook


def test_finite_losses_pass_and_nan_stops():
    runner = types.SimpleNamespace(iter=41, epoch=2)
    hook = FiniteLossHook()
    hook.after_train_iter(runner, 0, outputs=dict(loss=torch.tensor(0.3), loss_cls=0.3))
    with pytest.raises(FloatingPointError, match=r'iteration 42 .*loss_tcp'):
        hook.after_train_iter(
            runner, 0, outputs=dict(loss=float('nan'), loss_tcp=torch.tensor(float('inf')))
        )
