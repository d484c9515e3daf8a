"""CPN: the Complementary Patch Network."""

from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.structures import SegDataSample
from torch.nn.modules.batchnorm import _BatchNorm

from wsss_mm.registry import MODELS
from wsss_mm.utils.maps import max_normalize

from ..losses.cpcr_loss import keep_channel_max, prepend_background
from ..utils import ComplementaryPatchPair
from .cam_classifier import CAMClassifier, stack_labels

CAM_NORMS = ('max', 'minmax')
TRIPLET_FORWARDS = ('separate', 'joint')


@contextmanager
def bn_running_stats_frozen(module: nn.Module) -> Iterator[None]:
    """Within the block, the train-mode BatchNorms of ``module`` normalise with
    their batch statistics but update neither their running statistics nor
    ``num_batches_tracked`` (``track_running_stats`` is off meanwhile, which
    makes ``_BatchNorm.forward`` pass no buffers to ``F.batch_norm``).
    Eval-mode BatchNorms (e.g. ``freeze_bn``) are left as they are.

    Args:
        module (nn.Module): the network.
    """
    bns = [
        m
        for m in module.modules()
        if isinstance(m, _BatchNorm) and m.training and m.track_running_stats
    ]
    for m in bns:
        m.track_running_stats = False
    try:
        yield
    finally:
        for m in bns:
            m.track_running_stats = True


def normalize_maps(maps: torch.Tensor, mode: str = 'max') -> torch.Tensor:
    """ReLU, then each map scaled to [0, 1].

    Args:
        maps (Tensor): (B, C, h, w).
        mode (str): ``'max'``: ``Y / max Y``; ``'minmax'``: ``(Y - min Y) /
            (max Y - min Y)``.

    Returns:
        Tensor: (B, C, h, w) in [0, 1].
    """
    maps = F.relu(maps)
    if mode == 'max':
        return max_normalize(maps)
    flat = maps.flatten(2)
    low = flat.min(dim=-1).values[..., None, None]
    return (maps - low) / (flat.max(dim=-1).values[..., None, None] - low + 1e-5)


@MODELS.register_module()
class CPN(CAMClassifier):
    """Complementary Patch Network.

    From F. Zhang, C. Gu, C. Zhang and Y. Dai, "Complementary Patch for Weakly
    Supervised Semantic Segmentation", ICCV 2021 (Fig. 2, Secs. 3.3-3.4).

    A shared-weight triplet over an image ``I`` and its complementary patch
    pair ``(I_h, I_h̄)``: three passes through the network, one per branch, as
    ``Ferenas/CPN`` (``triplet_forward='separate'``), or one batch of 3B
    (``'joint'``). Each branch yields its CAM ``Y`` and a refined map
    ``Ỹ = PCM(Y') + PRCM(Y')``, where the seeds ``Y'`` (:meth:`seed_maps`) and
    the PCM / PRCM features are detached, so the refinement's gradients never
    reach the backbone or the classifier (Sec. 4.1). Losses (Eq. 17):
    ``L_cls`` (Eq. 13, the head's loss over the three branches, ``w_1`` its
    ``loss_weight``), ``L_tcp`` (Eq. 14) and ``L_cpcr`` (Eq. 15, OHEM), on
    normalised, label-masked maps; ``L_cpcr``
    adds the background map ``(1 - max_c Y^c)^α`` (Eq. 16) before weighting the
    maps by λ / λ̄ (the paper's reading), or after, as ``Ferenas/CPN``
    (``CPCRLoss``'s ``bg_order``).

    With train-mode BatchNorm (``freeze_bn=False``) the separate passes
    normalise each branch with its own batch statistics, so the maps of ``I``
    do not depend on the hidden pair in the batch, and only the pass over
    ``I`` updates the running statistics (those of the full images, which
    inference sees). With ``'joint'`` two thirds of the statistics come from
    half-hidden images. Under ``freeze_bn`` both give the same maps.

    CAM methods get the refined map through :meth:`refine_cams`, which
    :func:`wsss_mm.cams.multiscale_cams` applies to any method's maps; the
    background score β of Eq. 16 is the background threshold that
    ``tools/eval_cams.py`` sweeps.

    Args:
        backbone (dict): returns the stage features that PCM aggregates, then
            the CAM feature map, e.g. ``ResNet38d(out_indices=(1, 2, 4))``.
        head (dict): e.g. ``GAPClassifierHead``; its loss is ``L_cls``.
        pcm (dict): the :class:`~wsss_mm.models.layers.PCM`.
        prcm (dict, optional): the :class:`~wsss_mm.models.layers.PRCM`; None
            refines with PCM alone (Table 2, rows 2-4).
        loss_tcp (dict, optional): ``TCPLoss``; None leaves it out.
        loss_cpcr (dict, optional): ``CPCRLoss``; None leaves it out.
        loss_min_pool (dict, optional): ``AdaptiveMinPoolingLoss`` on each
            branch's refined maps (``Ferenas/CPN``'s extra ``L_cls`` term, not
            in the paper). Default: None.
        bg_alpha (float): α of Eq. 16. Default: 1.
        cam_norm (str): normalisation of each map in the losses: ``'max'``
            (``Y / max Y``, the paper) or ``'minmax'`` (``Ferenas/CPN``'s
            ``max_norm``). Default: 'max'.
        infer_refined (bool): CAM inference returns the refined map ``Ỹ_o``
            (the paper); False returns the CAM method's maps unchanged, the
            network's own CAM (for diagnosis and Table 2's comparisons).
            Default: True.
        triplet_forward (str): ``'separate'``: one pass per branch, the pair's
            passes leaving the BN running statistics alone; ``'joint'``: one
            pass over the 3B images. Default: 'separate'.
        neck (dict, optional): see :class:`CAMClassifier`.
        freeze_bn (bool): see :class:`CAMClassifier`.
        data_preprocessor (dict, optional): see :class:`CAMClassifier`.
        init_cfg (dict, optional): see :class:`CAMClassifier`.
    """

    def __init__(
        self,
        backbone: dict,
        head: dict,
        pcm: dict,
        prcm: Optional[dict] = None,
        loss_tcp: Optional[dict] = dict(type='TCPLoss'),
        loss_cpcr: Optional[dict] = dict(type='CPCRLoss'),
        loss_min_pool: Optional[dict] = None,
        bg_alpha: float = 1.0,
        cam_norm: str = 'max',
        infer_refined: bool = True,
        triplet_forward: str = 'separate',
        neck: Optional[dict] = None,
        freeze_bn: bool = False,
        data_preprocessor: Optional[dict] = None,
        init_cfg: Optional[dict] = None,
    ) -> None:
        super().__init__(
            backbone=backbone,
            head=head,
            neck=neck,
            freeze_bn=freeze_bn,
            data_preprocessor=data_preprocessor,
            init_cfg=init_cfg,
        )
        if cam_norm not in CAM_NORMS:
            raise ValueError(f'cam_norm must be one of {CAM_NORMS}, got {cam_norm!r}')
        if triplet_forward not in TRIPLET_FORWARDS:
            raise ValueError(
                f'triplet_forward must be one of {TRIPLET_FORWARDS}, got {triplet_forward!r}'
            )
        self.pcm = MODELS.build(pcm)
        self.prcm = MODELS.build(prcm) if prcm is not None else None
        self.loss_tcp = MODELS.build(loss_tcp) if loss_tcp is not None else None
        self.loss_cpcr = MODELS.build(loss_cpcr) if loss_cpcr is not None else None
        self.loss_min_pool = MODELS.build(loss_min_pool) if loss_min_pool is not None else None
        self.bg_alpha = bg_alpha
        self.cam_norm = cam_norm
        self.infer_refined = infer_refined
        self.triplet_forward = triplet_forward
        self.make_pair = ComplementaryPatchPair()

    # ---- maps ----------------------------------------------------------------
    def extract_feats(self, inputs: torch.Tensor) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """The backbone's stage features for PCM and the CAM feature map.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.

        Returns:
            tuple: the stage features (B, C_i, h_i, w_i) and the CAM feature map
            (B, K, h, w), as :meth:`extract_feat`.
        """
        outs = self.backbone(inputs)
        num_stages = len(self.pcm.projs)
        if not isinstance(outs, (tuple, list)) or len(outs) != num_stages + 1:
            got = len(outs) if isinstance(outs, (tuple, list)) else 1
            raise ValueError(
                f'CPN needs {num_stages} stage features for PCM and the '
                f'CAM feature map from the backbone, got {got} outputs; '
                'set its out_indices accordingly'
            )
        feats = outs[-1] if self.neck is None else self.neck(outs[-1])
        return list(outs[:-1]), feats

    def extract_triplet_feats(
        self, images: Sequence[torch.Tensor]
    ) -> Tuple[List[torch.Tensor], torch.Tensor]:
        """:meth:`extract_feats` of the triplet ``(I, I_h, I_h̄)``, as
        ``triplet_forward`` says; the pair's passes leave the BN running
        statistics unchanged.

        Args:
            images (Sequence[Tensor]): ``I``, ``I_h``, ``I_h̄``, each (B, 3, H, W).

        Returns:
            tuple: the stage features (3B, C_i, h_i, w_i) and the CAM feature
            map (3B, K, h, w), branches in that order along the batch.
        """
        if self.triplet_forward == 'joint':
            return self.extract_feats(torch.cat(list(images)))
        outs = [self.extract_feats(images[0])]
        with bn_running_stats_frozen(self):
            outs += [self.extract_feats(img) for img in images[1:]]
        stage_feats = [torch.cat(stage) for stage in zip(*(o[0] for o in outs))]
        return stage_feats, torch.cat([o[1] for o in outs])

    def class_maps(self, feats: torch.Tensor) -> torch.Tensor:
        """The CAMs ``Y = W A`` (Eq. 1), before ReLU.

        Args:
            feats (Tensor): (B, K, h, w).

        Returns:
            Tensor: (B, C, h, w).
        """
        return torch.einsum('ck,bkhw->bchw', self.cam_weights(), feats)

    def loss_maps(self, maps: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """Foreground maps as the losses compare them: normalised and
        label-masked (``L_cpcr`` adds the background itself).

        Args:
            maps (Tensor): (B, C, h, w) foreground maps.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C, h, w) in [0, 1].
        """
        return normalize_maps(maps, self.cam_norm) * labels[:, :, None, None]

    @torch.no_grad()
    def seed_maps(self, cams: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        """The refinement's input ``Y'``: max-normalised, label-masked CAMs with
        the background map, each pixel keeping only its strongest foreground
        class (``cam_d_norm`` of ``Ferenas/CPN``); no gradient.

        Args:
            cams (Tensor): (B, C, h, w) class maps.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C + 1, h, w) in [0, 1], background first.
        """
        fg = normalize_maps(cams) * labels[:, :, None, None]
        seeds = prepend_background(fg, self.bg_alpha)  # Eq. 16
        return torch.cat([seeds[:, :1], keep_channel_max(seeds[:, 1:])], dim=1)

    def refine(
        self, inputs: torch.Tensor, stage_feats: List[torch.Tensor], seeds: torch.Tensor
    ) -> torch.Tensor:
        """``Ỹ = PCM(Y', X) + PRCM(Y', X, ReLU(g(X)))`` (Fig. 4).

        Args:
            inputs (Tensor): (B, 3, H, W) the branch's images.
            stage_feats (list[Tensor]): the backbone's stage features.
            seeds (Tensor): (B, C + 1, h, w) from :meth:`seed_maps`.

        Returns:
            Tensor: (B, C + 1, h, w) refined maps, >= 0.
        """
        feats = self.pcm.aggregate(inputs, stage_feats, seeds.shape[-2:])
        refined = self.pcm(seeds, feats)
        if self.prcm is not None:
            refined = refined + self.prcm(seeds, feats, F.relu(self.pcm.embed(feats)))
        return refined

    @torch.no_grad()
    def refine_cams(
        self, inputs: torch.Tensor, cams: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        """CPN's inference map: the foreground channels of ``Ỹ_o`` computed from
        a CAM method's maps (the CAM network protocol's refinement hook).

        Each map's minimum is subtracted: ``Ferenas/CPN`` min-max normalises the
        refined maps at inference, as PCM's affinity-weighted means keep a floor
        away from the objects (the aggregation then max-normalises). Runs the
        backbone once more for the stage features.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.
            cams (Tensor): (B, C, h, w) maps of a CAM method on ``inputs``.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C, h, w) >= 0, zero for absent classes; ``cams`` itself
            when ``infer_refined`` is False.
        """
        if not self.infer_refined:
            return cams
        stage_feats, _ = self.extract_feats(inputs)
        labels = labels.to(cams.dtype)
        refined = self.refine(inputs, stage_feats, self.seed_maps(cams, labels))[:, 1:]
        refined = refined - refined.flatten(2).min(dim=-1).values[..., None, None]
        return refined * labels[:, :, None, None]

    # ---- training ------------------------------------------------------------
    def loss(self, inputs: torch.Tensor, data_samples: List[SegDataSample]) -> dict:
        """The losses of Eq. 17 on a batch packed by ``PackCPInputs``.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images ``I``.
            data_samples (list[SegDataSample]): with ``gt_labels``, ``cp_mask``
                and ``cp_lambda``.

        Returns:
            dict: ``loss_cls`` and, when configured, ``loss_tcp``,
            ``loss_cpcr``, ``loss_min_pool``.
        """
        labels = stack_labels(data_samples).to(inputs.device).repeat(3, 1)
        img_h, img_hbar, lam = self.make_pair(inputs, data_samples)
        stage_feats, feats = self.extract_triplet_feats((inputs, img_h, img_hbar))
        images = torch.cat([inputs, img_h, img_hbar])
        losses = self.head.loss(self.predict_logits(feats), labels)
        cams = self.class_maps(feats)
        refined = self.refine(images, stage_feats, self.seed_maps(cams, labels))
        cam_maps = self.loss_maps(cams, labels).chunk(3)
        ref_maps = self.loss_maps(refined[:, 1:], labels).chunk(3)
        if self.loss_tcp is not None:
            losses[self.loss_tcp.loss_name] = self.loss_tcp(cam_maps, ref_maps, lam)
        if self.loss_cpcr is not None:
            losses[self.loss_cpcr.loss_name] = self.loss_cpcr(
                cam_maps, ref_maps, lam, bg_alpha=self.bg_alpha
            )
        if self.loss_min_pool is not None:
            losses[self.loss_min_pool.loss_name] = self.loss_min_pool(
                refined[:, 1:] * labels[:, :, None, None]
            )
        return losses
