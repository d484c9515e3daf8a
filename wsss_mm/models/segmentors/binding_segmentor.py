"""SegMix's feature binding network (Islam et al., IJCV 2023, Sec. 3.2-3.3):
DeepLabv3 with a source separator (dominant and phantom branches) and a feature
binding head, trained on mixed images (stage 1) and denoised on clean ones (stage 2)."""

from typing import Dict, List, Optional

import torch
import torch.nn as nn
from mmseg.models.segmentors import EncoderDecoder
from mmseg.models.utils import resize
from mmseg.structures import SegDataSample
from mmseg.utils import ConfigType, OptConfigType

from wsss_mm.registry import MODELS

STAGES = (1, 2)
OUTPUTS = ('binding', 'dominant')


@MODELS.register_module()
class BindingSegmentor(EncoderDecoder):
    """mmseg's ``EncoderDecoder`` whose decode head is the dominant branch F_t
    of SegMix's source separator module, with a phantom branch F_p and the
    feature binding head F_fb (Eqs. 3-4).

    The encoder f_enc is the backbone (DeepLabv3's dilated ResNet; res5c is
    its last output). Both branches read it: ``decode_head`` (mmseg's
    ``ASPPHead``) gives S_t, ``phantom_head`` (a second ``ASPPHead``) gives
    S_p, and ``binding_head`` (``FeatureBindingHead``) gives
    ``S_fb = F_fb(S_t, S_p)``. All maps are (B, C, h, w) at the backbone's
    output stride; losses upsample them (bilinear) to the label size.

    **Stage 1** (mixed data, Eq. 5): ``L = ℓ_fb + δ·ℓ_t + (1 − δ)·ℓ_p``, with
    ℓ_fb on (S_fb, G_a), ℓ_t on (S_t, G_a) and ℓ_p on (S_p, G_b). G_a is
    ``gt_sem_seg``, G_b ``gt_phantom_seg`` and δ the metainfo ``mix_delta`` of
    each data sample; δ weighs each sample's pixels in its own term. A sample
    without ``gt_phantom_seg`` (unmixed, or ``SegCutMix``) has δ = 1 and no
    phantom pixels. ℓ is each head's ``loss_decode`` (cross-entropy,
    ignore 255) with the per-pixel weight δ (ℓ_t) or 1 − δ (ℓ_p). Without
    ``binding_head`` (the "w/o FBH" ablation, Table 8) ℓ_fb is left out.
    Without ``phantom_head`` the network is a plain DeepLabv3 whose one output
    S_t takes both terms, ``δ·ℓ(S_t, G_a) + (1 − δ)·ℓ(S_t, G_b)``: Mixup's
    loss (the Mixup baselines of Tables 1 and 9).

    **Stage 2** (denoising on unmixed data, Eq. 6): ``L = ℓ_t + ℓ_PPA`` with
    ``ℓ_PPA = log(ε + Σ_{i,j,k} ReLU(S_p))`` per image (S_p upsampled to the
    label size), averaged over the batch. f_enc, F_t and F_p are fine-tuned;
    F_fb is kept (the stage-1 checkpoint loads whole) but frozen and unused.

    **Inference** returns S_fb (``predict_with='binding'``) or S_t
    (``'dominant'``); by default S_fb in stage 1 when there is a binding head,
    S_t otherwise.

    Args:
        backbone (dict): f_enc.
        decode_head (dict): F_t, the dominant branch (e.g. ``ASPPHead``).
        phantom_head (dict, optional): F_p, the phantom branch.
        binding_head (dict, optional): F_fb (``FeatureBindingHead``); needs
            ``phantom_head``.
        stage (int): 1 (binding, Eq. 5) or 2 (denoising, Eq. 6).
        predict_with (str, optional): ``'binding'`` or ``'dominant'``.
        ppa_eps (float): ε of ℓ_PPA. Default 1.0: the loss is ≥ 0 and finite
            when S_p is fully suppressed; the paper's Eq. 6 is ε → 0.
        ppa_weight (float): weight of ℓ_PPA in stage 2. Default 1.0 (Eq. 6);
            0 is the control that fine-tunes with ℓ_t alone (the term is still
            computed, so the phantom branch stays in the graph).
        **kwargs: ``EncoderDecoder``'s other arguments.
    """

    def __init__(
        self,
        backbone: ConfigType,
        decode_head: ConfigType,
        phantom_head: OptConfigType = None,
        binding_head: OptConfigType = None,
        stage: int = 1,
        predict_with: Optional[str] = None,
        ppa_eps: float = 1.0,
        ppa_weight: float = 1.0,
        **kwargs,
    ) -> None:
        super().__init__(backbone=backbone, decode_head=decode_head, **kwargs)
        if stage not in STAGES:
            raise ValueError(f'BindingSegmentor: stage={stage!r}, expected one of {STAGES}')
        if binding_head is not None and phantom_head is None:
            raise ValueError(
                'BindingSegmentor: binding_head needs phantom_head (F_fb reads S_t and S_p)'
            )
        if stage == 2 and phantom_head is None:
            raise ValueError('BindingSegmentor: stage=2 penalises S_p and needs phantom_head')
        if predict_with is None:
            predict_with = 'binding' if stage == 1 and binding_head is not None else 'dominant'
        if predict_with not in OUTPUTS:
            raise ValueError(
                f'BindingSegmentor: predict_with={predict_with!r}, expected one of {OUTPUTS}'
            )
        if predict_with == 'binding' and binding_head is None:
            raise ValueError("BindingSegmentor: predict_with='binding' needs binding_head")
        if ppa_eps < 0:
            raise ValueError(f'BindingSegmentor: ppa_eps={ppa_eps}, expected >= 0')
        if ppa_weight < 0:
            raise ValueError(f'BindingSegmentor: ppa_weight={ppa_weight}, expected >= 0')
        self.phantom_head = MODELS.build(phantom_head) if phantom_head is not None else None
        self.binding_head = MODELS.build(binding_head) if binding_head is not None else None
        self.stage = stage
        self.predict_with = predict_with
        self.ppa_eps = ppa_eps
        self.ppa_weight = ppa_weight
        if stage == 2 and self.binding_head is not None:
            self.binding_head.requires_grad_(False)  # F_fb is not fine-tuned in stage 2

    def branch_outputs(self, inputs: torch.Tensor) -> Dict[str, torch.Tensor]:
        """Eqs. 3-4 on a batch.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.

        Returns:
            dict: ``dominant`` S_t and, with the heads, ``phantom`` S_p and
            ``binding`` S_fb, each (B, C, h, w) class scores.
        """
        return self._branches(self.extract_feat(inputs), with_binding=True)

    def _branches(self, x: List[torch.Tensor], with_binding: bool) -> Dict[str, torch.Tensor]:
        """:meth:`branch_outputs` from the backbone features ``x``; S_fb only
        if ``with_binding``."""
        outputs = dict(dominant=self.decode_head(x))
        if self.phantom_head is not None:
            outputs['phantom'] = self.phantom_head(x)
        if with_binding and self.binding_head is not None:
            outputs['binding'] = self.binding_head([outputs['dominant'], outputs['phantom']])
        return outputs

    def encode_decode(self, inputs: torch.Tensor, batch_img_metas: List[dict]) -> torch.Tensor:
        """The ``predict_with`` output at the input size.

        Returns:
            Tensor: (B, C, H, W) class scores (S_fb or S_t).
        """
        if self.predict_with == 'dominant':
            return super().encode_decode(inputs, batch_img_metas)
        scores = self._branches(self.extract_feat(inputs), with_binding=False)
        return self.binding_head.predict(
            [scores['dominant'], scores['phantom']], batch_img_metas, self.test_cfg
        )

    def _forward(
        self, inputs: torch.Tensor, data_samples: Optional[List[SegDataSample]] = None
    ) -> torch.Tensor:
        """``mode='tensor'``: the ``predict_with`` output, (B, C, h, w)."""
        return self.branch_outputs(inputs)[self.predict_with]

    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> dict:
        """Eq. 5 (stage 1) or Eq. 6 (stage 2), plus the auxiliary head's loss
        if there is one.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised (possibly mixed) images.
            data_samples (list[SegDataSample]): ``gt_sem_seg`` (1, H, W) each;
                mixed ones also ``gt_phantom_seg`` (1, H, W) and ``mix_delta``.

        Returns:
            dict: ``loss_t``, and ``loss_fb`` / ``loss_p`` (stage 1) or
            ``loss_ppa`` (stage 2); ``aux.*`` with an auxiliary head.
        """
        x = self.extract_feat(inputs)
        scores = self._branches(x, with_binding=self.stage == 1)
        dominant_gt = torch.stack([s.gt_sem_seg.data[0] for s in data_samples])  # (B, H, W)
        if self.stage == 2:
            losses = dict(
                loss_t=self._pixel_loss(self.decode_head, scores['dominant'], dominant_gt),
                loss_ppa=self.ppa_weight
                * self.phantom_activation_loss(scores['phantom'], dominant_gt.shape[-2:]),
            )
        else:
            losses = self._binding_losses(scores, dominant_gt, data_samples)
        if self.with_auxiliary_head:
            losses.update(self._auxiliary_head_forward_train(x, data_samples))
        return losses

    def _binding_losses(
        self,
        scores: Dict[str, torch.Tensor],
        dominant_gt: torch.Tensor,
        data_samples: List[SegDataSample],
    ) -> dict:
        """Eq. 5 from the branch outputs (:meth:`branch_outputs`, (B, C, h, w)
        each) and G_a (B, H, W)."""
        deltas = mix_deltas(data_samples).to(dominant_gt.device)
        weight = deltas.view(-1, 1, 1).expand_as(dominant_gt)
        losses = dict(
            loss_t=self._pixel_loss(self.decode_head, scores['dominant'], dominant_gt, weight)
        )
        phantom_head = self.decode_head if self.phantom_head is None else self.phantom_head
        phantom_scores = scores.get('phantom', scores['dominant'])
        phantom_gt = phantom_maps(data_samples, dominant_gt, phantom_head.ignore_index)
        if phantom_gt is None:  # no mixed sample in the batch: the term is zero
            losses['loss_p'] = phantom_scores.sum() * 0
        else:
            losses['loss_p'] = self._pixel_loss(
                phantom_head, phantom_scores, phantom_gt, 1 - weight
            )
        if 'binding' in scores:
            losses['loss_fb'] = self._pixel_loss(self.binding_head, scores['binding'], dominant_gt)
        return losses

    @staticmethod
    def _pixel_loss(
        head: nn.Module,
        scores: torch.Tensor,
        labels: torch.Tensor,
        weight: Optional[torch.Tensor] = None,
    ) -> torch.Tensor:
        """The head's ``loss_decode`` (one loss or a list, summed) on ``scores``
        (B, C, h, w) upsampled to ``labels`` (B, H, W), each pixel weighted by
        ``weight`` (B, H, W) if given; ``labels`` equal to the head's
        ``ignore_index`` are left out."""
        scores = resize(
            scores, size=labels.shape[-2:], mode='bilinear', align_corners=head.align_corners
        )
        losses = (
            head.loss_decode if isinstance(head.loss_decode, nn.ModuleList) else [head.loss_decode]
        )
        return sum(
            loss(scores, labels, weight=weight, ignore_index=head.ignore_index) for loss in losses
        )

    def phantom_activation_loss(self, phantom: torch.Tensor, size: torch.Size) -> torch.Tensor:
        """ℓ_PPA of Eq. 6: ``log(ε + Σ_{i,j,k} ReLU(S_p))`` per image, mean over
        the batch.

        Args:
            phantom (Tensor): S_p, (B, C, h, w).
            size (torch.Size): (H, W), the label size S_p is upsampled to.

        Returns:
            Tensor: () the loss.
        """
        phantom = resize(
            phantom, size=size, mode='bilinear', align_corners=self.phantom_head.align_corners
        )
        return torch.log(self.ppa_eps + phantom.relu().sum(dim=(1, 2, 3))).mean()


def mix_deltas(data_samples: List[SegDataSample]) -> torch.Tensor:
    """δ of each sample: its metainfo ``mix_delta`` where it has a phantom map
    (``gt_phantom_seg``), 1 otherwise.

    Returns:
        Tensor: (B,) float32.

    Raises:
        KeyError: a sample has ``gt_phantom_seg`` but no ``mix_delta`` (its
            index is named).
    """
    deltas = []
    for i, sample in enumerate(data_samples):
        if 'gt_phantom_seg' not in sample:
            deltas.append(1.0)
        elif 'mix_delta' not in sample.metainfo:
            raise KeyError(
                f'data sample {i} has gt_phantom_seg but no mix_delta in its metainfo: '
                'expected the weight δ of its dominant image (CoOccurrenceMix, SegMixup, '
                'ClusterMixDataset set both)'
            )
        else:
            deltas.append(float(sample.metainfo['mix_delta']))
    return torch.tensor(deltas, dtype=torch.float32)


def phantom_maps(
    data_samples: List[SegDataSample], dominant_gt: torch.Tensor, ignore_index: int
) -> Optional[torch.Tensor]:
    """G_b of each sample: its ``gt_phantom_seg``, or all ``ignore_index``
    where it has none.

    Args:
        data_samples (list[SegDataSample]): B samples.
        dominant_gt (Tensor): (B, H, W) G_a, for the size and device.
        ignore_index (int): the label of pixels without a phantom class.

    Returns:
        Tensor | None: (B, H, W) int64, or None when no sample has a phantom map.

    Raises:
        ValueError: a phantom map's size differs from its dominant map's.
    """
    if not any('gt_phantom_seg' in s for s in data_samples):
        return None
    maps = torch.full_like(dominant_gt, ignore_index)
    for i, sample in enumerate(data_samples):
        if 'gt_phantom_seg' in sample:
            phantom = sample.gt_phantom_seg.data[0]
            if phantom.shape != dominant_gt.shape[-2:]:
                raise ValueError(
                    f'data sample {i}: gt_phantom_seg is {tuple(phantom.shape)}, expected '
                    f'the size of gt_sem_seg {tuple(dominant_gt.shape[-2:])}'
                )
            maps[i] = phantom
    return maps
