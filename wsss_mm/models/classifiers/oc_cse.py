"""OC-CSE: class-specific erasing checked by an ordinary classifier (and P-OC)."""

import os.path as osp
from typing import List, Optional, Tuple, Union

import torch
from mmengine.model import BaseModel, is_model_wrapper
from mmengine.runner import load_checkpoint
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS

from ..utils import ErasedClassSampler, erased_targets, erasing_masks
from ..utils.erasing import MASK_NORMS
from .cam_classifier import CAMClassifier, stack_labels


@MODELS.register_module()
class OCCSE(BaseModel):
    """OC-CSE (H. Kweon, S.-H. Yoon, H. Kim, D. Park and K.-J. Yoon, "Unlocking
    the Potential of Ordinary Classifier: Class-specific Adversarial Erasing
    Framework for Weakly Supervised Semantic Segmentation", ICCV 2021), and
    with a :class:`PuzzleCAM` generator, the thesis' P-OC (seed 002, Eq. 26).

    Each image erases one of its classes ``r`` (:class:`ErasedClassSampler`)
    with the generator's own map: ``x̂ = x · (1 - ReLU(A_r) / max)``, resized
    to the image, on the normalised batch, differentiable in ``A_r``. A
    frozen ordinary classifier (a trained CAM network of this project, loaded
    from ``oc_checkpoint``) must then miss ``r`` and still find the image's
    other classes::

        L = L_generator + λ_cse · ℓ_cls(oc(x̂), y \\ {r})

    ``L_generator`` is the generator's own loss (``L_cls``, or Puzzle-CAM's
    three terms). ``λ_cse`` is :attr:`lambda_cse` (0.3 -> 1 over training in
    the thesis, with ``LossWeightScheduleHook``).

    The maximum that normalises ``ReLU(A_r)`` is taken over the whole batch
    by default (``mask_norm='batch'``), as the OC-CSE and P-NOC code do;
    ``'image'`` takes each map's own maximum, as the papers write it.

    The ordinary classifier's weights are loaded in :meth:`init_weights`,
    which the runner calls before training starts, so a wrong path fails
    there, with the key to fix. Checkpoints of this model hold both networks;
    inference loads them from there and needs no ``oc_checkpoint``.

    It implements the CAM network protocol through the generator, so every
    CAM method and the pipeline work on its checkpoints.

    Args:
        generator (dict): the CAM network trained, e.g. ``CAMClassifier`` or
            ``PuzzleCAM`` (without a data preprocessor: this model's is used).
        ordinary_classifier (dict): a CAM network config, the same as the
            checkpoint's (e.g. ``CAMClassifier`` with ``freeze_bn=True``).
        oc_checkpoint (str, optional): its trained weights (a checkpoint of
            ``tools/train.py``). Required to train.
        lambda_cse (float): λ_cse. Default: 1.0.
        erase (dict): :class:`ErasedClassSampler` options (``strategy``:
            random (default), balanced, focal, least_chosen).
        mask_norm (str): ``'batch'`` or ``'image'``. Default: 'batch'.
        loss_cse (dict): the ordinary classifier's loss (its
            ``label_smoothing`` is P-OC+LS's option). Default: multi-label
            soft margin named ``loss_cse``.
        data_preprocessor (dict, optional): e.g. ``mmseg.SegDataPreProcessor``.
        init_cfg (dict, optional): MMEngine init config.
    """

    #: whether the ordinary classifier is trained too (P-NOC)
    trains_ordinary_classifier = False

    def __init__(
        self,
        generator: dict,
        ordinary_classifier: dict,
        oc_checkpoint: Optional[str] = None,
        lambda_cse: float = 1.0,
        erase: dict = dict(strategy='random'),
        mask_norm: str = 'batch',
        loss_cse: dict = dict(type='MultiLabelSoftMarginLoss', loss_name='loss_cse'),
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        self.generator = MODELS.build(generator)
        self.ordinary_classifier = MODELS.build(ordinary_classifier)
        if not isinstance(self.generator, CAMClassifier):
            raise TypeError(
                f'{type(self).__name__}: the generator must be a CAMClassifier (or a subclass '
                f'such as PuzzleCAM), got {type(self.generator).__name__}'
            )
        self.oc_checkpoint = oc_checkpoint
        self.lambda_cse = lambda_cse
        self.mask_norm = mask_norm
        if mask_norm not in MASK_NORMS:
            raise ValueError(f'mask_norm must be one of {MASK_NORMS}, got "{mask_norm}"')
        self.erased_class_sampler = ErasedClassSampler(self.generator.num_classes, **erase)
        self.loss_cse = MODELS.build(loss_cse)
        if not self.trains_ordinary_classifier:
            self.ordinary_classifier.requires_grad_(False)

    # ---- weights -------------------------------------------------------------
    def init_weights(self) -> None:
        """Initialises the generator, then loads the ordinary classifier.

        Raises:
            ValueError: ``oc_checkpoint`` is not set.
            FileNotFoundError: it names no file.
        """
        super().init_weights()
        if self.oc_checkpoint is None:
            raise ValueError(
                f'{type(self).__name__} needs a trained ordinary classifier: set '
                'model.oc_checkpoint to a CAM network checkpoint of tools/train.py '
                '(run_pipeline.py trains one as its train_oc stage)'
            )
        if not osp.isfile(self.oc_checkpoint):
            raise FileNotFoundError(
                f'model.oc_checkpoint: no ordinary classifier checkpoint at {self.oc_checkpoint}'
            )
        load_checkpoint(
            self.ordinary_classifier, self.oc_checkpoint, map_location='cpu', logger='current'
        )

    def train(self, mode: bool = True) -> 'OCCSE':
        super().train(mode)
        if not self.trains_ordinary_classifier:
            self.ordinary_classifier.eval()  # frozen: its BatchNorm statistics too
        return self

    # ---- CAM network protocol (the generator's) ----------------------------
    @property
    def cam_network(self) -> CAMClassifier:
        """The generator, unwrapped from a distributed wrapper."""
        gen = self.generator
        return gen.module if is_model_wrapper(gen) else gen

    @property
    def num_classes(self) -> int:
        return self.cam_network.num_classes

    @property
    def linear_cam(self) -> bool:
        return self.cam_network.linear_cam

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        return self.cam_network.extract_feat(inputs)

    def predict_logits(self, feats: torch.Tensor) -> torch.Tensor:
        return self.cam_network.predict_logits(feats)

    def cam_weights(self) -> torch.Tensor:
        return self.cam_network.cam_weights()

    # ---- MMEngine -----------------------------------------------------------
    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[SegDataSample]] = None,
        mode: str = 'tensor',
    ) -> Union[dict, list, torch.Tensor]:
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.cam_network.predict(inputs, data_samples)
        if mode == 'tensor':
            return self.predict_logits(self.extract_feat(inputs))
        raise ValueError(f'mode must be "loss", "predict" or "tensor", got "{mode}"')

    def generator_losses(
        self, inputs: torch.Tensor, labels: torch.Tensor
    ) -> Tuple[dict, dict, torch.Tensor]:
        """The generator's losses and the erasing term.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            tuple: the losses (``loss_cse`` already times λ_cse), the
            generator's outputs (``training_maps``) and the (B,) erased
            classes (-1 for an image without a class).
        """
        outputs = self.generator(inputs, mode='maps')
        losses = self.cam_network.loss_from_maps(outputs, labels)
        erased = self.erased_class_sampler(labels)
        masks = erasing_masks(outputs['cams'], erased, inputs.shape[-2:], self.mask_norm)
        targets = erased_targets(labels, erased)
        oc_logits = self.erased_logits(inputs * (1 - masks))
        losses['loss_cse'] = self.lambda_cse * self.loss_cse(oc_logits, targets)
        if self.erased_class_sampler.strategy == 'focal':
            self.erased_class_sampler.update_focal(labels, targets, oc_logits)
        return losses, outputs, erased

    def erased_logits(self, erased_inputs: torch.Tensor) -> torch.Tensor:
        """The ordinary classifier's (B, C) logits of the erased images
        (B, 3, H, W), differentiable in the images (and so in the generator's
        maps)."""
        return self.ordinary_classifier(erased_inputs, mode='tensor')

    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> dict:
        """The generator's losses and ``loss_cse`` of a batch."""
        labels = stack_labels(data_samples).to(inputs.device)
        return self.generator_losses(inputs, labels)[0]
