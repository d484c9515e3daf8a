"""Group-WSSS's (seed 004) greedy group sampling: each image is an anchor once per
epoch, followed by the K - 1 images sharing the most classes with it."""

import math
from typing import Iterator, List, Optional, Sized

import numpy as np
import torch
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from wsss_mm.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class GroupSampler(Sampler):
    """Yields groups of ``group_size`` (K) indices: an anchor, then the K - 1
    images that share the most classes with it (Group-WSSS's graph nodes).

    Each epoch every image is an anchor exactly once (in a shuffled order,
    deterministic under ``seed + epoch`` as in mmengine's ``DefaultSampler``).
    Its partners are chosen greedily: the images with the most classes in
    common with the anchor, ties broken randomly (by the same generator); the
    anchor itself is never its own partner, an image may be a partner in
    several groups, and where fewer than K - 1 images share a class with the
    anchor the group is filled with the best remaining ones (random images
    sharing no class). The indices come group after group, so the sampler's
    length is ``num_images * K`` (per rank, see below).

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
    reorders different counts); the product and the ``topk`` run over blocks
    of anchors, so the memory is ``block * N``, never the full (N, N) matrix
    (which would take 27 GB for COCO's 82k images).

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
            dataset order (the partner ties are still broken by the seeded
            generator). Default: True.
        seed (int, optional): the random seed, identical across ranks; None
            draws one and syncs it across ranks. Default: None.

    Raises:
        ValueError: ``group_size`` < 1, or the dataset has fewer images than
            ``group_size``, or its labels are not (C,) vectors of one length.
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
    ) -> None:
        if isinstance(group_size, bool) or not isinstance(group_size, int) or group_size < 1:
            raise ValueError(f'group_size must be an int >= 1, got {group_size!r}')
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
        if seed is None:
            seed = sync_random_seed()
        self.seed = seed
        self.epoch = 0

        self.labels = self._read_labels(dataset)  # (N, C) float32
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
        """The (A, K - 1) partners of ``anchors`` (A,), best first."""
        k = self.group_size - 1
        if k == 0:
            return anchors.new_empty((len(anchors), 0))
        out = []
        for start in range(0, len(anchors), self.block_size):
            block = anchors[start : start + self.block_size]
            shared = self.labels[block] @ self.labels.T  # (B, N) shared-class counts
            scores = shared + torch.rand(shared.shape, generator=generator)  # ties: noise < 1
            scores[torch.arange(len(block)), block] = -1.0  # never the anchor itself
            out.append(scores.topk(k, dim=1).indices)
        return torch.cat(out)

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
