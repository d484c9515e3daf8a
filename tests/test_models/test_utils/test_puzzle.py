"""Puzzle-CAM's tiles: the authors' order, and merge(tile(x)) == x."""

import pytest
import torch

from wsss_mm.models.utils import merge_tiles, tile_images


def authors_tiles(images, grid):
    """``lucasdavid/PNOC``'s ``tile_features``: split rows, then columns, concat on the batch."""
    h, w = images.shape[-2:]
    patches = []
    for rows in torch.split(images, h // grid, dim=2):
        patches.extend(torch.split(rows, w // grid, dim=3))
    return torch.cat(patches, dim=0)


@pytest.mark.parametrize('grid', [2, 3])
def test_tiles_match_the_authors_order_and_merge_back(grid):
    images = torch.randn(3, 2, 6 * grid, 4 * grid)
    tiles = tile_images(images, grid)
    assert torch.equal(tiles, authors_tiles(images, grid))
    assert torch.equal(merge_tiles(tiles, grid), images)


def test_tile_size_must_divide():
    with pytest.raises(ValueError, match='not divisible by grid 2'):
        tile_images(torch.zeros(1, 3, 7, 8), 2)
