"""tools/analysis_tools/cooccurrence.py on the synthetic VOC set: the file matches
the matrix of the masks, the last line is the summary; bad input is named."""

import json
import os.path as osp

import numpy as np

from wsss_mm.evaluation.cooccurrence import class_pixel_counts, cooccurrence_matrix
from wsss_mm.utils.io import read_mask, read_split


def test_cooccurrence_tool(synth_root, tmp_path, run_tool):
    out = str(tmp_path / 'cooc.npy')
    proc = run_tool(
        'tools/analysis_tools/cooccurrence.py',
        '--data-root',
        synth_root,
        '--out',
        out,
        '--top',
        '3',
    )
    img_ids = read_split(osp.join(synth_root, 'ImageSets/Segmentation/train.txt'))
    masks = [read_mask(osp.join(synth_root, 'SegmentationClass', i + '.png')) for i in img_ids]
    expected = cooccurrence_matrix([class_pixel_counts(m, 21) for m in masks], 21)
    np.testing.assert_array_equal(np.load(out), expected)
    summary = json.loads(proc.stdout.strip().splitlines()[-1])
    assert summary['num_images'] == 24 and summary['num_classes'] == 21
    assert summary['out'] == out and len(summary['top_pairs']) <= 3
    assert 'background' not in proc.stdout.split('top pairs:')[1]

    bad = run_tool(
        'tools/analysis_tools/cooccurrence.py',
        '--data-root',
        str(tmp_path / 'missing'),
        '--out',
        out,
        check=False,
    )
    assert bad.returncode == 2 and 'no such folder' in bad.stderr and 'missing' in bad.stderr
