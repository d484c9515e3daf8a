"""LossWeightScheduleHook: linear ramps of a model's loss coefficients, logged."""

import types

import pytest
import torch.nn as nn
from mmengine.logging import MessageHub

from wsss_mm.engine.hooks import LossWeightScheduleHook


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.lambda_re = 0.0


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.generator = Generator()
        self.lambda_cse = 0.0


def make_runner(iter=0, max_iters=100, epoch=0, max_epochs=10):
    hub = MessageHub.get_instance('test_loss_weight_schedule_hook')
    return types.SimpleNamespace(
        model=Model(),
        iter=iter,
        max_iters=max_iters,
        epoch=epoch,
        max_epochs=max_epochs,
        message_hub=hub,
    )


@pytest.mark.parametrize('it, expected', [(0, 0.0), (10, 0.8), (25, 2.0), (50, 4.0), (99, 4.0)])
def test_iter_ramp_over_the_first_half(it, expected):
    runner = make_runner(iter=it)
    hook = LossWeightScheduleHook('generator.lambda_re', start=0.0, end=4.0, until=0.5)
    hook.before_train(runner)
    hook.before_train_iter(runner, batch_idx=0)
    assert runner.model.generator.lambda_re == pytest.approx(expected)
    logged = runner.message_hub.get_scalar('train/generator.lambda_re').current()
    assert logged == pytest.approx(expected)


@pytest.mark.parametrize('epoch, expected', [(0, 0.3), (5, 0.65), (9, 0.93)])
def test_epoch_ramp_over_training(epoch, expected):
    runner = make_runner(iter=epoch * 10 + 7, epoch=epoch)  # constant within an epoch
    hook = LossWeightScheduleHook('lambda_cse', start=0.3, end=1.0, by='epoch')
    hook.before_train_iter(runner, batch_idx=0)
    assert runner.model.lambda_cse == pytest.approx(expected)


def test_until_zero_holds_the_end_value():
    runner = make_runner(iter=0)
    LossWeightScheduleHook('lambda_cse', start=0.0, end=0.5, until=0).before_train_iter(runner, 0)
    assert runner.model.lambda_cse == 0.5


def test_bad_key_and_options_fail_clearly():
    with pytest.raises(KeyError, match='no numeric attribute "generator.lambda_x"'):
        LossWeightScheduleHook('generator.lambda_x', 0, 1).before_train(make_runner())
    with pytest.raises(KeyError, match='"missing.lambda_re"'):
        LossWeightScheduleHook('missing.lambda_re', 0, 1).before_train(make_runner())
    with pytest.raises(ValueError, match='by must be one of'):
        LossWeightScheduleHook('lambda_cse', 0, 1, by='step')
    with pytest.raises(ValueError, match='until must be in'):
        LossWeightScheduleHook('lambda_cse', 0, 1, until=1.5)
