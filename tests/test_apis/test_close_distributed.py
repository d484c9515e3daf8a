"""close_distributed: tools/train.py and tools/test.py end by destroying the process group,
so no rank aborts at exit while gloo's threads still run."""

import torch.distributed as dist

from wsss_mm.apis import close_distributed


def test_close_distributed_destroys_the_group(tmp_path):
    store = f'file://{tmp_path / "store"}'
    dist.init_process_group('gloo', init_method=store, rank=0, world_size=1)
    try:
        assert dist.is_initialized()
        close_distributed()
        assert not dist.is_initialized()
    finally:
        if dist.is_initialized():
            dist.destroy_process_group()


def test_close_distributed_without_a_group_does_nothing():
    assert not dist.is_initialized()
    close_distributed()
    assert not dist.is_initialized()
