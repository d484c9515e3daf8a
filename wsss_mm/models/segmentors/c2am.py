"""C²AM (Xie et al., CVPR 2022) and C²AM-H (P-NOC thesis, seed 002): class-agnostic
saliency learned by contrasting the foreground and background features of a batch."""

import logging
from typing import List, Optional, Sequence, Tuple, Union

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmengine.dist import all_reduce
from mmengine.logging import print_log
from mmengine.model import BaseModel
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample

from wsss_mm.registry import MODELS
from wsss_mm.utils.maps import max_normalize

POLARITIES = ('positive', 'negative', 'auto')
ACTIVATIONS = ('relu', 'sigmoid')


@MODELS.register_module()
class C2AM(BaseModel):
    """C²AM: a backbone and a disentangler trained with the contrastive losses of
    Eq. 7 of the thesis; C²AM-H adds the hint loss of Eq. 29.

    The last two backbone outputs are concatenated (the last first, the one
    before resized to its size if needed) into ``A`` (B, K, h, w). The
    disentangler, a bias-free 3x3 convolution to one channel + BatchNorm,
    gives the map ``d(A)`` (B, 1, h, w) (logits); with ``P = sigmoid(d(A))``
    the foreground and background vectors are ``v^f = sum_hw P A / hw`` and
    ``v^b = sum_hw (1 - P) A / hw`` (B, K) (``lucasdavid/PNOC``
    ``core/ccam.py``, ``Disentangler``; ``core/networks.py``, ``CCAM``).
    Training minimises ``L_pos(v^f) + L_pos(v^b) + L_neg(v^b, v^f)`` and,
    with ``loss_hint``, the hint loss on the ``gt_hint`` maps of the data
    samples (``LoadCAMHint``) sampled at the map's cells (:meth:`stack_hints`).

    **Polarity.** Eq. 7 has no anchor: the salient objects may end up on
    either side of the partition. C²AM-H's hints anchor it (foreground =
    positive map): use ``polarity='positive'``, as the authors' inference
    does. For C²AM, ``'auto'`` applies C²AM's rule once, at training batch
    ``polarity_check_iter`` (PNOC's ``scripts/ccam/train.py``, step 600, its
    ``check_positive``): where more than half of the map's border is
    foreground, the map is flipped. The decision is a buffer, saved with the
    checkpoint (with ``train_iter``, the batches trained, and
    ``polarity_checked``). ``'negative'`` flips always.

    Args:
        backbone (dict): returns a tuple of at least two feature maps, e.g.
            ``mmpretrain.ResNet`` with ``out_indices=(2, 3)``.
        in_channels (int): K, the channels of the last two outputs together
            (ResNet-50: 2048 + 1024).
        loss_pos (dict): ``L_pos`` of both partitions. Default: ``SimMaxLoss``.
        loss_neg (dict): ``L_neg``. Default: ``SimMinLoss``.
        loss_hint (dict, optional): C²AM-H's ``C2AMHintLoss``; None: C²AM.
        activation (str): the saliency score of a logit at inference,
            ``'relu'`` (the authors' default) or ``'sigmoid'``.
        polarity (str): ``'positive'``, ``'negative'`` or ``'auto'``.
        polarity_check_iter (int): with ``'auto'``, the training batch (counted
            from 1, resumed with the checkpoint) whose maps decide the polarity.
        data_preprocessor (dict, optional): e.g. ``mmseg.SegDataPreProcessor``.
        init_cfg (dict, optional): MMEngine init config.
    """

    def __init__(
        self,
        backbone: dict,
        in_channels: int,
        loss_pos: dict = dict(type='SimMaxLoss'),
        loss_neg: dict = dict(type='SimMinLoss'),
        loss_hint: Optional[dict] = None,
        activation: str = 'relu',
        polarity: str = 'auto',
        polarity_check_iter: int = 600,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(data_preprocessor=data_preprocessor, init_cfg=init_cfg)
        if polarity not in POLARITIES:
            raise ValueError(f'C2AM: polarity must be one of {POLARITIES}, got "{polarity}"')
        if activation not in ACTIVATIONS:
            raise ValueError(f'C2AM: activation must be one of {ACTIVATIONS}, got "{activation}"')
        if polarity_check_iter < 1:
            raise ValueError(f'C2AM: polarity_check_iter must be >= 1, got {polarity_check_iter}')
        self.backbone = MODELS.build(backbone)
        conv = nn.Conv2d(in_channels, 1, kernel_size=3, padding=1, bias=False)
        nn.init.kaiming_normal_(conv.weight)
        self.disentangler = nn.Sequential(conv, nn.BatchNorm2d(1))
        self.loss_pos = MODELS.build(loss_pos)
        self.loss_neg = MODELS.build(loss_neg)
        self.loss_hint = MODELS.build(loss_hint) if loss_hint is not None else None
        self.activation = activation
        self.polarity = polarity
        self.polarity_check_iter = polarity_check_iter
        # 'auto': the training batches seen and the decision (saved with the weights)
        self.register_buffer('train_iter', torch.zeros((), dtype=torch.long))
        self.register_buffer('polarity_checked', torch.zeros((), dtype=torch.bool))
        self.register_buffer('auto_flip', torch.zeros((), dtype=torch.bool))
        self._warned_unchecked = False

    @property
    def flipped(self) -> bool:
        """Whether the saliency is the negated map (the polarity's decision)."""
        if self.polarity == 'auto':
            return bool(self.auto_flip)
        return self.polarity == 'negative'

    def extract_feat(self, inputs: torch.Tensor) -> torch.Tensor:
        """
        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.

        Returns:
            Tensor: (B, K, h, w) the last two backbone outputs, concatenated.
        """
        levels = self.backbone(inputs)
        if len(levels) < 2:
            raise ValueError(
                f'C2AM: the backbone gives {len(levels)} feature map(s); it needs two '
                '(e.g. mmpretrain.ResNet with out_indices=(2, 3))'
            )
        last, previous = levels[-1], levels[-2]
        if previous.shape[-2:] != last.shape[-2:]:
            previous = resize(previous, size=last.shape[-2:], mode='bilinear', align_corners=False)
        return torch.cat([last, previous], dim=1)

    def disentangle(self, feats: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """
        Args:
            feats (Tensor): (B, K, h, w) from :meth:`extract_feat`.

        Returns:
            tuple: ``v^f`` (B, K), ``v^b`` (B, K) and the map's logits
            (B, 1, h, w), before the polarity.
        """
        logits = self.disentangler(feats)
        prob = logits.sigmoid().flatten(1)  # (B, hw)
        flat = feats.flatten(2)  # (B, K, hw)
        fg = torch.einsum('bn,bkn->bk', prob, flat) / flat.shape[-1]
        bg = torch.einsum('bn,bkn->bk', 1 - prob, flat) / flat.shape[-1]
        return fg, bg, logits

    def forward(
        self,
        inputs: torch.Tensor,
        data_samples: Optional[List[SegDataSample]] = None,
        mode: str = 'tensor',
    ) -> Union[dict, torch.Tensor]:
        """``mode='loss'``: the losses; ``'predict'``: the saliency (B, 1, H, W)
        in [0, 1] at the input size (:meth:`predict`); ``'tensor'``: the
        disentangler's logits (B, 1, h, w), before the polarity."""
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'predict':
            return self.predict(inputs)
        if mode == 'tensor':
            return self.disentangler(self.extract_feat(inputs))
        raise ValueError(f'C2AM supports mode "loss", "predict" and "tensor", got "{mode}"')

    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> dict:
        """Eq. 7 (and with ``loss_hint`` Eq. 29) on a batch.

        Returns:
            dict: ``loss_pos_fg``, ``loss_pos_bg``, ``loss_neg`` (and
            ``loss_hint``), each already weighted.
        """
        fg, bg, logits = self.disentangle(self.extract_feat(inputs))
        losses = dict(
            loss_pos_fg=self.loss_pos(fg),
            loss_pos_bg=self.loss_pos(bg),
            loss_neg=self.loss_neg(bg, fg),
        )
        if self.loss_hint is not None:
            hints = self.stack_hints(data_samples, inputs.shape[-2:], logits.shape[-2:])
            losses['loss_hint'] = self.loss_hint(logits, hints)
        self._count_and_check_polarity(logits)
        return losses

    def stack_hints(
        self, data_samples: Sequence[SegDataSample], input_size: Sequence[int], size: Sequence[int]
    ) -> torch.Tensor:
        """The ``gt_hint`` maps of a batch, padded to the input size with "no
        hint" (as the data preprocessor pads the images) and sampled at the
        map's size: integer hints by the nearest pixel; float margins
        (``LoadCAMHint(sampling='bicubic')``) bicubically, then a hint (1)
        where the margin is >= 0 (the authors' ``train_hints.py``).

        Args:
            data_samples (Sequence[SegDataSample]): each with ``gt_hint``
                (``PixelData`` of (1, H_i, W_i) hints or margins).
            input_size (Sequence[int]): (H, W) of the padded inputs.
            size (Sequence[int]): (h, w) of the map.

        Returns:
            Tensor: (B, h, w) long hints.
        """
        if data_samples is None or any('gt_hint' not in s for s in data_samples):
            raise ValueError(
                'C2AM with loss_hint (C²AM-H) needs gt_hint in every data sample: '
                'put LoadCAMHint in the train pipeline'
            )
        height, width = input_size
        margins = data_samples[0].gt_hint.data.is_floating_point()
        hints = torch.stack(
            [
                F.pad(
                    s.gt_hint.data.float(),
                    (0, width - s.gt_hint.shape[1], 0, height - s.gt_hint.shape[0]),
                    value=-1.0 if margins else self.loss_hint.ignore_index,
                )
                for s in data_samples
            ]
        ).to(self.disentangler[0].weight.device)
        if not margins:
            return F.interpolate(hints, size=tuple(size), mode='nearest')[:, 0].long()
        sampled = F.interpolate(hints, size=tuple(size), mode='bicubic', align_corners=False)[:, 0]
        no_hint = torch.full_like(sampled, self.loss_hint.ignore_index, dtype=torch.long)
        return torch.where(sampled >= 0, torch.ones_like(no_hint), no_hint)

    @torch.no_grad()
    def _count_and_check_polarity(self, logits: torch.Tensor) -> None:
        """Counts the training batch; at ``polarity_check_iter`` (``'auto'``)
        flips the map where more than half of its border is foreground (the
        border share averaged over the batch and the processes)."""
        self.train_iter += 1
        if self.polarity != 'auto' or int(self.train_iter) != self.polarity_check_iter:
            return
        fg = (logits > 0).float()  # sigmoid(logits) > 0.5
        border = (
            fg[..., 0, :].mean()
            + fg[..., -1, :].mean()
            + fg[..., :, 0].mean()
            + fg[..., :, -1].mean()
        ) / 4
        all_reduce(border, op='mean')
        self.auto_flip.fill_(bool(border > 0.5))
        self.polarity_checked.fill_(True)
        print_log(
            f'C2AM: {float(border):.0%} of the map border is foreground at batch '
            f'{self.polarity_check_iter}: saliency = '
            f'{"the negated map" if self.flipped else "the map"}',
            logger='current',
        )

    def saliency_scores(self, inputs: torch.Tensor) -> torch.Tensor:
        """Unnormalised saliency: the polarity-corrected logits through the
        activation (the authors' ``forward_tta`` before the aggregation).

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.

        Returns:
            Tensor: (B, 1, h, w) >= 0, at the map's size, not normalised.
        """
        if self.polarity == 'auto' and not self.polarity_checked and not self._warned_unchecked:
            print_log(
                f'C2AM: polarity "auto" was not decided (trained {int(self.train_iter)} '
                f'batches, the check is at batch {self.polarity_check_iter}): the map '
                'is taken as it is',
                logger='current',
                level=logging.WARNING,
            )
            self._warned_unchecked = True
        logits = self.disentangler(self.extract_feat(inputs))
        if self.flipped:
            logits = -logits
        return logits.relu() if self.activation == 'relu' else logits.sigmoid()

    def predict(self, inputs: torch.Tensor) -> torch.Tensor:
        """Single-scale saliency (``tools/infer_saliency.py`` aggregates scales
        and flips).

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.

        Returns:
            Tensor: (B, 1, H, W) in [0, 1], each map max-normalised.
        """
        scores = self.saliency_scores(inputs)
        scores = resize(scores, size=inputs.shape[-2:], mode='bilinear', align_corners=False)
        return max_normalize(scores)
