"""Puzzle-CAM's tiling (Jo & Yu, ICIP 2021): an image batch cut into a grid of
tiles that the network sees as separate images, and the tiles' feature maps
put back together."""

import torch


def tile_images(images: torch.Tensor, grid: int = 2) -> torch.Tensor:
    """Cuts each image into ``grid x grid`` tiles (row-major), batched by tile.

    Args:
        images (Tensor): (B, ch, H, W), H and W divisible by ``grid``.
        grid (int): tiles per side (2 gives Puzzle-CAM's 4 pieces).

    Returns:
        Tensor: (grid² B, ch, H / grid, W / grid): all images' first tile,
        then all images' second tile, ... (the order of ``PNOC``'s
        ``tile_features``).

    Raises:
        ValueError: H or W is not divisible by ``grid``.
    """
    b, ch, h, w = images.shape
    if h % grid or w % grid:
        raise ValueError(f'tile_images: the input size {h}x{w} is not divisible by grid {grid}')
    tiles = images.reshape(b, ch, grid, h // grid, grid, w // grid)
    return tiles.permute(2, 4, 0, 1, 3, 5).reshape(grid * grid * b, ch, h // grid, w // grid)


def merge_tiles(tiles: torch.Tensor, grid: int = 2) -> torch.Tensor:
    """The inverse of :func:`tile_images` on the tiles' maps.

    Args:
        tiles (Tensor): (grid² B, ch, h, w), ordered as :func:`tile_images`.
        grid (int): tiles per side.

    Returns:
        Tensor: (B, ch, grid h, grid w).
    """
    n, ch, h, w = tiles.shape
    b = n // (grid * grid)
    merged = tiles.reshape(grid, grid, b, ch, h, w).permute(2, 3, 0, 4, 1, 5)
    return merged.reshape(b, ch, grid * h, grid * w)
