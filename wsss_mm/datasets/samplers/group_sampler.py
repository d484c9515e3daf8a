"""Group-WSSS's (seed 004) group sampling: each image is an anchor once per epoch,
followed by K - 1 partners: the images sharing the most classes with it (the
paper's greedy rule) or random images with its label vector (the authors' code)."""

import math
from typing import Iterator, List, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from wsss_mm.registry import DATA_SAMPLERS

PARTNER_RULES = ('most_shared', 'identical')


@DATA_SAMPLERS.register_module()
class GroupSampler(Sampler):
    """Yields groups of ``group_size`` (K) indices: an anchor, then K - 1
    partners (Group-WSSS's graph nodes).

    Each epoch every image is an anchor exactly once (in a shuffled order,
    deterministic under ``seed + epoch`` as in mmengine's ``DefaultSampler``).
    Its partners (``partners``) are

    - ``'most_shared'`` (the paper's greedy rule): the K - 1 images with the
      most classes in common with the anchor, ties broken randomly (by the
      same generator); where fewer than K - 1 images share a class with the
      anchor the group is filled with the best remaining ones (random images
      sharing no class);
    - ``'identical'`` (the authors' code, ``utils/LoadData.py``): K - 1
      independent uniform draws among the images whose label vector equals
      the anchor's; an anchor whose label vector no other image has draws
      among the images holding one of its classes, picked at random per
      anchor (the code's fallback after 1000 failed tries), and one whose
      classes no other image holds draws among all images.

    The anchor itself is never its own partner (the code's draw can pick
    it), and an image may be a partner in several groups. The indices come
    group after group, so the sampler's length is ``num_images * K`` (per
    rank, see below).

    The dataloader's ``batch_size`` must be a multiple of K, so that a batch
    holds whole groups (the model checks it)::

        train_dataloader = dict(
            batch_size=8,
            sampler=dict(type='GroupSampler', group_size=4, shuffle=True))

    The data infos must carry ``gt_labels`` ((C,) multi-hot, e.g.
    :class:`~wsss_mm.datasets.VOCClsDataset`); they are read once, at
    construction. The shared-class counts are one matrix product
    (``labels @ labels.T``, float32) and the partners one ``topk`` over the
    counts plus uniform tie noise in [0, 1) (which breaks ties but never
    reorders different counts); the identical-label draws are one
    ``multinomial`` over a candidate mask. Both run over blocks of anchors,
    so the memory is ``block * N``, never the full (N, N) matrix (which
    would take 27 GB for COCO's 82k images).

    Under distributed training the *groups* (not the indices) are split across
    the ranks: rank r takes groups r, r + world_size, ...; the groups are padded
    by repeating from the start so that every rank gets the same number, as
    ``DefaultSampler`` does with indices. Each rank builds only its own groups.

    Args:
        dataset (Sized): the dataset; ``dataset.get_data_info(i)['gt_labels']``
            is the multi-hot label of image i.
        group_size (int): K, the images per group (anchor included).
            Default: 4 (the paper's).
        shuffle (bool): shuffle the anchors each epoch; if False they come in
            dataset order (the code's; the partners are still drawn by the
            seeded generator). Default: True.
        partners (str): ``'most_shared'`` or ``'identical'``, see above.
            Default: 'most_shared'.
        seed (int, optional): the random seed, identical across ranks; None
            draws one and syncs it across ranks. Default: None.

    Raises:
        ValueError: ``group_size`` < 1, an unknown ``partners``, the dataset
            has fewer images than ``group_size``, or its labels are not (C,)
            vectors of one length.
        KeyError: a data info without ``gt_labels``.
        TypeError: a dataset without ``get_data_info``.
    """

    #: Anchors per block of the count product and the ``topk``.
    block_size = 1024

    def __init__(
        self,
        dataset: Sized,
        group_size: int = 4,
        shuffle: bool = True,
        seed: Optional[int] = None,
        partners: str = 'most_shared',
    ) -> None:
        if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1:
            raise ValueError(f'group_size must be an int >= 1, got {group_size!r}')
        if partners not in PARTNER_RULES:
            raise ValueError(f'partners must be one of {PARTNER_RULES}, got {partners!r}')
        num_images = len(dataset)
        if num_images < group_size:
            raise ValueError(
                f'the dataset has {num_images} images, fewer than group_size ({group_size}): '
                'a group needs group_size - 1 partners besides its anchor'
            )
        rank, world_size = get_dist_info()
        self.rank = rank
        self.world_size = world_size
        self.dataset = dataset
        self.group_size = group_size
        self.shuffle = shuffle
        self.partners = partners
        if seed is None:
            seed = sync_random_seed()
        self.seed = seed
        self.epoch = 0

        self.labels = self._read_labels(dataset)  # (N, C) float32
        # one id per distinct label vector: "identical" is one comparison of ids
        self.label_ids = torch.unique(self.labels, dim=0, return_inverse=True)[1]
        self.num_groups = math.ceil(num_images / world_size)  # per rank
        self.total_groups = self.num_groups * world_size

    @staticmethod
    def _read_labels(dataset: Sized) -> torch.Tensor:
        """The (N, C) float32 multi-hot labels of the data infos."""
        if not hasattr(dataset, 'get_data_info'):
            raise TypeError(
                f'GroupSampler needs a dataset with get_data_info(), got {type(dataset).__name__}'
            )
        labels = []
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            if 'gt_labels' not in info:
                raise KeyError(
                    f"GroupSampler needs 'gt_labels' ((C,) multi-hot) in the data infos; "
                    f'data info {i} has only {sorted(info)}'
                )
            label = np.asarray(info['gt_labels'], dtype=np.float32)
            if label.ndim != 1 or (labels and label.shape != labels[0].shape):
                expected = labels[0].shape if labels else '(C,)'
                raise ValueError(
                    f"gt_labels of data info {i} has shape {label.shape}, expected {expected}"
                )
            labels.append(label)
        return torch.from_numpy(np.stack(labels))

    def _partners(self, anchors: torch.Tensor, generator: torch.Generator) -> torch.Tensor:
        """The (A, K - 1) partners of ``anchors`` (A,), best first for
        ``'most_shared'``."""
        k = self.group_size - 1
        if k == 0:
            return anchors.new_empty((len(anchors), 0))
        draw = self._most_shared if self.partners == 'most_shared' else self._identical
        out = [
            draw(anchors[start : start + self.block_size], k, generator)
            for start in range(0, len(anchors), self.block_size)
        ]
        return torch.cat(out)

    def _most_shared(self, block: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
        """(B, k): the images sharing the most classes with each anchor."""
        shared = self.labels[block] @ self.labels.T  # (B, N) shared-class counts
        scores = shared + torch.rand(shared.shape, generator=generator)  # ties: noise < 1
        scores[torch.arange(len(block)), block] = -1.0  # never the anchor itself
        return scores.topk(k, dim=1).indices

    def _identical(self, block: torch.Tensor, k: int, generator: torch.Generator) -> torch.Tensor:
        """(B, k): uniform draws among the images with each anchor's label
        vector, else among those holding one of its classes (drawn at random),
        else among all images; never the anchor itself."""
        rows = torch.arange(len(block))
        candidates = self.label_ids[block, None] == self.label_ids[None, :]  # (B, N)
        candidates[rows, block] = False
        # the fallback class of each anchor: one of its classes, at random
        anchor_labels = self.labels[block]
        weights = anchor_labels + (anchor_labels.sum(1, keepdim=True) == 0).float()
        fallback = torch.multinomial(weights, 1, generator=generator)[:, 0]
        holding = self.labels[:, fallback].T > 0.5  # (B, N)
        holding[rows, block] = False
        lone = ~candidates.any(1)
        candidates[lone] = holding[lone]
        nothing = ~candidates.any(1)
        candidates[nothing] = True
        candidates[rows[nothing], block[nothing]] = False
        return torch.multinomial(candidates.float(), k, replacement=True, generator=generator)

    def groups(self) -> torch.Tensor:
        """This rank's groups of this epoch: (num_groups, K) indices, the
        anchor first."""
        generator = torch.Generator()
        generator.manual_seed(self.seed + self.epoch)
        num_images = len(self.labels)
        if self.shuffle:
            anchors = torch.randperm(num_images, generator=generator)
        else:
            anchors = torch.arange(num_images)
        # pad by repeating from the start, then take every world_size-th group
        anchors = anchors.repeat(math.ceil(self.total_groups / num_images))[: self.total_groups]
        anchors = anchors[self.rank : self.total_groups : self.world_size]
        return torch.cat([anchors[:, None], self._partners(anchors, generator)], dim=1)

    def __iter__(self) -> Iterator[int]:
        """Iterates this rank's indices, group after group."""
        indices: List[int] = self.groups().flatten().tolist()
        return iter(indices)

    def __len__(self) -> int:
        """The number of indices of this rank (groups x K)."""
        return self.num_groups * self.group_size

    def set_epoch(self, epoch: int) -> None:
        """Sets the epoch: the anchor order and partner ties depend on
        ``seed + epoch``.

        Args:
            epoch (int): the epoch number.
        """
        self.epoch = epoch
