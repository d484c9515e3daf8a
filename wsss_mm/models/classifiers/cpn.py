"""CPN: the Complementary Patch Network."""

from contextlib import contextmanager
from typing import Iterator, List, Optional, Sequence, Tuple

import torch
import torch.nn as nn
import torch.nn.functional as F
from mmseg.structures import SegDataSample
from torch.nn.modules.batchnorm import _BatchNorm

from wsss_mm.registry import MODELS
from wsss_mm.utils.maps import max_normalize, minmax_normalize

from ..losses.cpcr_loss import keep_channel_max, prepend_background
from ..utils import ComplementaryPatchPair
from .cam_classifier import CAMClassifier, stack_labels

CAM_NORMS = ('max', 'minmax')
TRIPLET_FORWARDS = ('separate', 'joint')
LOSS_RESOLUTIONS = ('cams', 'input')
INFER_AGGREGATIONS = ('shift_max', 'sum_minmax')


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
    return minmax_normalize(maps)


def present_classes(maps: Sequence[torch.Tensor], labels: torch.Tensor) -> Tuple[torch.Tensor, ...]:
    """The channels of each image's present classes, then of absent ones, as
    many as the most classes an image has plus one (all C if fewer remain).

    Args:
        maps (Sequence[Tensor]): (N, C, h, w) maps, any sizes.
        labels (Tensor): (N, C) multi-hot.

    Returns:
        tuple[Tensor, ...]: each map (N, K, h, w), then the labels (N, K) of
        the channels kept, present classes first.
    """
    num_classes = labels.shape[1]
    keep = min(num_classes, int(labels.sum(dim=1).max().item()) + 1)
    order = labels.argsort(dim=1, descending=True, stable=True)[:, :keep]
    picked = [m.gather(1, order[:, :, None, None].expand(-1, -1, *m.shape[-2:])) for m in maps]
    return (*picked, labels.gather(1, order))


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
    :func:`wsss_mm.cams.multiscale_cams` applies to any method's maps, and
    :meth:`normalize_cams` normalises their sum over scales and flips; the
    background score β of Eq. 16 is the background threshold that
    ``tools/eval_cams.py`` sweeps.

    The options default to the paper's reading; ``Ferenas/CPN``'s code form
    (configs ``*_authors.py``, docs/methods/cpn.md) is ``cam_norm='minmax'``,
    ``loss_resolution='input'``, ``loss_cam_dropout=True``,
    ``seed_label_mask=False``, ``infer_aggregation='sum_minmax'``, with
    ``loss_min_pool``, ``CPCRLoss(bg_order='after_scaling', max_target=True)``
    and ``PRCM(code_key_view=True)``.

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
        loss_resolution (str): where the losses compare the maps: ``'cams'``,
            on the CAM grid, or ``'input'``, on the CAMs and refined maps
            upsampled to the input size (bilinear, corners aligned) before
            their normalisation, as ``Ferenas/CPN``. Default: 'cams'.
        loss_cam_dropout (bool): the CAMs of the losses and of the seeds come
            from the features after the head's dropout, the same draw as the
            logits' (``Ferenas/CPN``'s ``fc8(dropout7(x))``, whose GAP is the
            logits); False computes them from the features without dropout.
            Needs a linear head with a ``dropout`` module (``GAPClassifierHead``).
            Default: False.
        seed_label_mask (bool): mask the seeds' foreground by the image
            labels (at training and inference); ``Ferenas/CPN``'s are not
            masked, so an absent class can take a pixel from a present one.
            Default: True.
        infer_refined (bool): CAM inference returns the refined map ``Ỹ_o``
            (the paper); False returns the CAM method's maps unchanged, the
            network's own CAM (for diagnosis and Table 2's comparisons).
            Default: True.
        infer_aggregation (str): how the maps of the scales and flips make the
            inference map. ``'shift_max'``: each scale's refined map less its
            minimum, upsampled once to the image, summed and max-normalised.
            ``'sum_minmax'`` (``Ferenas/CPN``'s ``infer_cam.py``): each scale's
            map upsampled to its input (corners aligned) and then to the image
            (corners not aligned), summed, and the sum min-max normalised;
            own CAMs (``infer_refined=False``) alike. Default: 'shift_max'.
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
        loss_resolution: str = 'cams',
        loss_cam_dropout: bool = False,
        seed_label_mask: bool = True,
        infer_refined: bool = True,
        infer_aggregation: str = 'shift_max',
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
        if loss_resolution not in LOSS_RESOLUTIONS:
            raise ValueError(
                f'loss_resolution must be one of {LOSS_RESOLUTIONS}, got {loss_resolution!r}'
            )
        if infer_aggregation not in INFER_AGGREGATIONS:
            raise ValueError(
                f'infer_aggregation must be one of {INFER_AGGREGATIONS}, got {infer_aggregation!r}'
            )
        if loss_cam_dropout and not (
            getattr(self.head, 'linear_cam', False) and hasattr(self.head, 'dropout')
        ):
            raise ValueError(
                'loss_cam_dropout needs a linear head with a dropout module '
                f'(GAPClassifierHead), got {type(self.head).__name__}'
            )
        self.pcm = MODELS.build(pcm)
        self.prcm = MODELS.build(prcm) if prcm is not None else None
        self.loss_tcp = MODELS.build(loss_tcp) if loss_tcp is not None else None
        self.loss_cpcr = MODELS.build(loss_cpcr) if loss_cpcr is not None else None
        self.loss_min_pool = MODELS.build(loss_min_pool) if loss_min_pool is not None else None
        self.bg_alpha = bg_alpha
        self.cam_norm = cam_norm
        self.loss_resolution = loss_resolution
        self.loss_cam_dropout = loss_cam_dropout
        self.seed_label_mask = seed_label_mask
        self.infer_refined = infer_refined
        self.infer_aggregation = infer_aggregation
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
        """The refinement's input ``Y'``: max-normalised CAMs (label-masked
        unless ``seed_label_mask`` is off) with the background map, each pixel
        keeping only its strongest foreground class (``cam_d_norm`` of
        ``Ferenas/CPN``); no gradient.

        Args:
            cams (Tensor): (B, C, h, w) class maps.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C + 1, h, w) in [0, 1], background first.
        """
        fg = normalize_maps(cams)
        if self.seed_label_mask:
            fg = fg * labels[:, :, None, None]
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
        """CPN's inference map at one scale: the foreground channels of ``Ỹ_o``
        computed from a CAM method's maps (the CAM network protocol's
        refinement hook), or the maps themselves when ``infer_refined`` is off.

        With ``infer_aggregation='shift_max'`` each refined map's minimum is
        subtracted (PCM's affinity-weighted means keep a floor away from the
        objects; the aggregation then max-normalises the sum). With
        ``'sum_minmax'`` the maps are upsampled to the input size (bilinear,
        corners aligned), as ``Ferenas/CPN``'s network returns them, and
        :meth:`normalize_cams` min-max normalises their sum. The refinement
        runs the backbone once more for the stage features.

        Args:
            inputs (Tensor): (B, 3, H, W) normalised images.
            cams (Tensor): (B, C, h, w) maps of a CAM method on ``inputs``.
            labels (Tensor): (B, C) multi-hot.

        Returns:
            Tensor: (B, C, h, w), or (B, C, H, W) with ``'sum_minmax'``; >= 0
            and zero for absent classes.
        """
        labels = labels.to(cams.dtype)
        maps = cams
        if self.infer_refined:
            stage_feats, _ = self.extract_feats(inputs)
            maps = self.refine(inputs, stage_feats, self.seed_maps(cams, labels))[:, 1:]
            if self.infer_aggregation == 'shift_max':
                maps = maps - maps.flatten(2).min(dim=-1).values[..., None, None]
        if self.infer_aggregation == 'sum_minmax':
            maps = F.interpolate(maps, inputs.shape[-2:], mode='bilinear', align_corners=True)
        return maps * labels[:, :, None, None]

    def normalize_cams(self, total: torch.Tensor) -> torch.Tensor:
        """The inference map from the sum of the scales' and flips' maps (the
        CAM network protocol's normalisation hook): ``'shift_max'`` clips at 0
        and max-normalises, as for any network; ``'sum_minmax'`` clips at 0 and
        min-max normalises each map (``infer_cam.py``: values within 1e-5 of
        the minimum become 0), so no floor is left on the background.

        Args:
            total (Tensor): (B, C, H, W) summed maps, zero for absent classes.

        Returns:
            Tensor: (B, C, H, W) in [0, 1], zero for absent classes.
        """
        total = total.clamp(min=0)
        if self.infer_aggregation == 'sum_minmax':
            return minmax_normalize(total)
        return max_normalize(total)

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
        if self.loss_cam_dropout:  # one dropout draw: the logits are the maps' GAP
            cams = self.class_maps(self.head.dropout(feats))
            logits = cams.mean(dim=(2, 3))
        else:
            logits, cams = self.predict_logits(feats), self.class_maps(feats)
        losses = self.head.loss(logits, labels)
        refined = self.refine(images, stage_feats, self.seed_maps(cams, labels))
        losses.update(self.refinement_losses(cams, refined[:, 1:], labels, lam, inputs.shape[-2:]))
        return losses

    def refinement_losses(
        self,
        cams: torch.Tensor,
        refined: torch.Tensor,
        labels: torch.Tensor,
        lam: torch.Tensor,
        size: Tuple[int, int],
    ) -> dict:
        """``L_tcp``, ``L_cpcr`` and the min-pooling term of the triplet's maps.

        Args:
            cams (Tensor): (3B, C, h, w) CAMs before ReLU, the branches ``I``,
                ``I_h``, ``I_h̄`` in that order along the batch.
            refined (Tensor): (3B, C, h, w) refined foreground maps.
            labels (Tensor): (3B, C) multi-hot.
            lam (Tensor): (B,) λ.
            size (tuple[int, int]): (H, W), the input size, where
                ``loss_resolution='input'`` compares the maps.

        Returns:
            dict: the configured losses among ``loss_tcp``, ``loss_cpcr``,
            ``loss_min_pool``.

        The label-masked maps of absent classes are zero, so the losses run
        on each image's present classes and one absent class (the zero map
        that the channel maxima of ``L_cpcr``'s target and of the min-pooling
        see) and count the others as zeros: the same values and gradients as
        on all C channels, at a fraction of the cost on maps upsampled to the
        input size.
        """
        num_classes = labels.shape[1]
        cams, refined, labels = present_classes((cams, refined), labels)
        if self.loss_resolution == 'input':
            cams, refined = (
                F.interpolate(m, tuple(size), mode='bilinear', align_corners=True)
                for m in (cams, refined)
            )
        losses = {}
        cam_maps = self.loss_maps(cams, labels).chunk(3)
        ref_maps = self.loss_maps(refined, labels).chunk(3)
        if self.loss_tcp is not None:
            losses[self.loss_tcp.loss_name] = self.loss_tcp(
                cam_maps, ref_maps, lam, num_classes=num_classes
            )
        if self.loss_cpcr is not None:
            losses[self.loss_cpcr.loss_name] = self.loss_cpcr(
                cam_maps, ref_maps, lam, bg_alpha=self.bg_alpha, num_classes=num_classes
            )
        if self.loss_min_pool is not None:
            losses[self.loss_min_pool.loss_name] = self.loss_min_pool(
                refined * labels[:, :, None, None]
            )
        return losses
