"""tools/test.py --subsets: SegMix's Tables 3-4 / Fig. 5 subset rows on the tiny
synthetic set (an untrained quickstart DeepLabv3); bad option combinations and a
missing co-occurrence file are refused before a runner is built."""

import os.path as osp

import torch

from wsss_mm.apis.train import load_config
from wsss_mm.registry import MODELS

CONFIG = osp.join('configs', 'quickstart', 'segmix_deeplabv3_synthvoc.py')


def test_test_tool_subsets(synth_root, tmp_path, run_tool, repo_root):
    torch.manual_seed(0)
    ckpt = str(tmp_path / 'deeplabv3.pth')
    model = MODELS.build(load_config(osp.join(repo_root, CONFIG)).model)
    torch.save(dict(state_dict=model.state_dict()), ckpt)
    cooc = str(tmp_path / 'cooc.npy')
    run_tool('tools/analysis_tools/cooccurrence.py', '--data-root', synth_root, '--out', cooc)
    proc = run_tool(
        'tools/test.py',
        CONFIG,
        ckpt,
        '--data-root',
        synth_root,
        '--work-dir',
        str(tmp_path / 'work'),
        '--subsets',
        '--cooccurrence',
        cooc,
        '--cooc-thresholds',
        '4',
        '2',
        '--cfg-options',
        'test_dataloader.num_workers=0',
        'test_dataloader.persistent_workers=False',
    )
    log = proc.stdout + proc.stderr
    assert 'mIoU per subset (SegMix Table 3, Fig. 5)' in log
    assert 'cooc<50' not in log
    for row in ('1-Occ', 'All-Occ', '1-Obj', '2-Cls', 'cooc<4', 'cooc<2'):
        assert f'| {row}' in log or f'|  {row}' in log, row
    assert 'SegMix Table 4' in log and 'person+' in log
    assert '1-Obj/num_images' in log and 'Epoch(test)' in log
    assert 'from instance masks' in log  # the synthetic set has none: components

    refused = run_tool('tools/test.py', CONFIG, ckpt, '--subsets', '--seed-miou', check=False)
    assert refused.returncode == 2 and '--subsets' in refused.stderr
    refused = run_tool('tools/test.py', CONFIG, ckpt, '--cooccurrence', cooc, check=False)
    assert refused.returncode == 2 and '--subsets' in refused.stderr
    refused = run_tool('tools/test.py', CONFIG, ckpt, '--cooc-thresholds', '4', check=False)
    assert refused.returncode == 2 and '--cooc-thresholds needs' in refused.stderr
    missing = str(tmp_path / 'missing.npy')
    refused = run_tool(
        'tools/test.py', CONFIG, ckpt, '--subsets', '--cooccurrence', missing, check=False
    )
    assert refused.returncode != 0 and 'co-occurrence file not found' in refused.stderr
    assert missing in refused.stderr and 'Epoch(test)' not in refused.stdout + refused.stderr
