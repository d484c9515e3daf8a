"""P-NOC: OC-CSE whose ordinary classifier is trained too, adversarially."""

from typing import Dict, Union

import torch
from mmengine.model import is_model_wrapper
from mmengine.optim import OptimWrapperDict
from torch.func import functional_call

from wsss_mm.registry import MODELS

from ..utils import erasing_masks
from .cam_classifier import stack_labels
from .oc_cse import OCCSE


@MODELS.register_module()
class PNOC(OCCSE):
    """P-NOC (seed 002 thesis, Algorithm 1, Eqs. 27-28): P-OC whose ordinary
    classifier ``noc`` is also trained, every ``k_noc`` generator steps, to
    find every class of the image after the generator's confident region of
    the erased class ``r`` is hidden::

        x̃ = x · [ReLU(A_r) / max A_r <= δ_noc]       (A_r detached)
        L_noc = λ_noc · ℓ_cls(noc(x̃), y)

    so that ``noc`` learns to look where the generator does not, and pushes
    the generator's maps to cover more. The generator's step is OC-CSE's
    (:class:`OCCSE`, Eq. 27) with ``noc`` fixed.

    Two optimizers: the config's ``optim_wrapper`` uses
    ``MultiOptimWrapperConstructor`` with the entries ``generator`` and
    ``ordinary_classifier``, and :meth:`train_step` alternates them, as
    MMagic's GANs do (the runner's ordinary loop, no loop of our own). For
    distributed training set
    ``model_wrapper_cfg=dict(type='MMSeparateDistributedDataParallel')``.
    The step counter that decides the ``k_noc`` phase is a buffer, so a
    resumed run continues the phase; the runner restores both optimizers.

    The generator's ``λ_cse`` term sends no gradient into ``noc``'s weights
    (Algorithm 1: "fix f and train noc" on ``L_noc`` alone): that pass uses
    ``noc`` with detached weights (``torch.func.functional_call``), so
    gradients accumulated over several steps (``accumulative_counts`` of the
    optim wrappers) are kept. The authors' code does not keep them apart, so
    ``noc``'s update also descends ``λ_cse · ℓ_cls(noc(x̂), y \\ {r})``;
    ``cse_grads_to_noc=True`` reproduces that.

    Each network's optimizer steps when its wrapper's ``accumulative_counts``
    is reached. MMEngine divides each loss by that count, where the authors'
    code sums the accumulated gradients (``--accumulate_steps``): their lr
    0.1 and weight decay 1e-4 over 2 steps are MMEngine's lr 0.2 and weight
    decay 5e-5.

    Args:
        k_noc (int): generator steps per ``noc`` step. Default: 1 (the code's
            ``oc-train-interval-steps``).
        delta_noc (float): δ_noc. Default: 0.2 (the code's ``oc_train_mask_t``).
        lambda_noc (float): λ_noc (ramped 0 -> 1 in the thesis; the code's
            ``ow`` goes 0 -> 0.5). Default: 1.0.
        loss_noc (dict): ``noc``'s loss (label smoothing is its option).
        cse_grads_to_noc (bool): keep the ``λ_cse`` gradients in ``noc``'s
            update (the authors' code). Default: False.
        **kwargs: :class:`OCCSE`'s arguments; the ordinary classifier should
            have ``freeze_bn=True`` and ``freeze_bn_affine=True`` (the code's
            ``mode='fix'``: BatchNorm statistics and affine parameters fixed).
    """

    trains_ordinary_classifier = True

    def __init__(
        self,
        *args,
        k_noc: int = 1,
        delta_noc: float = 0.2,
        lambda_noc: float = 1.0,
        loss_noc: dict = dict(type='MultiLabelSoftMarginLoss', loss_name='loss_noc'),
        cse_grads_to_noc: bool = False,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        if k_noc < 1:
            raise ValueError(f'PNOC: k_noc must be >= 1, got {k_noc}')
        self.k_noc = k_noc
        self.delta_noc = delta_noc
        self.lambda_noc = lambda_noc
        self.loss_noc = MODELS.build(loss_noc)
        self.cse_grads_to_noc = cse_grads_to_noc
        self.register_buffer('generator_steps', torch.zeros((), dtype=torch.long))

    def train_step(
        self, data: Union[dict, tuple, list], optim_wrapper: OptimWrapperDict
    ) -> Dict[str, torch.Tensor]:
        """One generator step, then every ``k_noc`` generator steps one
        ``noc`` step (Algorithm 1, lines 4-14).

        Args:
            data: a batch from the dataloader.
            optim_wrapper (OptimWrapperDict): ``generator`` and
                ``ordinary_classifier``.

        Returns:
            dict: the logged values (``loss`` is the generator's total;
            ``loss_noc`` on the steps that train ``noc``).
        """
        if not isinstance(optim_wrapper, OptimWrapperDict) or set(optim_wrapper.keys()) != {
            'generator',
            'ordinary_classifier',
        }:
            raise TypeError(
                'PNOC trains two networks: optim_wrapper must be built by '
                "constructor='MultiOptimWrapperConstructor' with the entries 'generator' and "
                f"'ordinary_classifier', got {type(optim_wrapper).__name__}"
            )
        gen_wrapper = optim_wrapper['generator']
        noc_wrapper = optim_wrapper['ordinary_classifier']
        data = self.data_preprocessor(data, True)
        inputs = data['inputs']
        labels = stack_labels(data['data_samples']).to(inputs.device)

        with gen_wrapper.optim_context(self.generator):
            losses, outputs, erased = self.generator_losses(inputs, labels)
        loss, log_vars = self.parse_losses(losses)
        gen_wrapper.update_params(loss)
        self.generator_steps += 1
        if int(self.generator_steps) % self.k_noc:
            return log_vars

        masks = erasing_masks(outputs['cams'].detach(), erased, inputs.shape[-2:], norm='image')
        hidden = inputs * (masks <= self.delta_noc).to(inputs)
        with noc_wrapper.optim_context(self.ordinary_classifier):
            logits = self.ordinary_classifier(hidden, mode='tensor')
            loss_noc = self.lambda_noc * self.loss_noc(logits, labels)
        noc_wrapper.update_params(loss_noc)
        log_vars['loss_noc'] = loss_noc.detach()
        return log_vars

    def erased_logits(self, erased_inputs: torch.Tensor) -> torch.Tensor:
        """As :meth:`OCCSE.erased_logits`; unless ``cse_grads_to_noc``, with
        ``noc``'s weights detached (its buffers as they are), outside its
        distributed wrapper: no gradient reaches them."""
        if self.cse_grads_to_noc:
            return super().erased_logits(erased_inputs)
        noc = self.ordinary_classifier
        noc = noc.module if is_model_wrapper(noc) else noc
        weights = {name: p.detach() for name, p in noc.named_parameters()}
        return functional_call(noc, weights, (erased_inputs,), dict(mode='tensor'))
