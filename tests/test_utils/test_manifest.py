"""Output folders that know their recipe (wsss_mm.utils.manifest): a rerun of the
same recipe resumes and remakes the files that are not whole, another recipe is
refused naming the keys that differ, ``overwrite`` remakes everything."""

import json
import os
import os.path as osp
import shutil

import numpy as np
import pytest

from wsss_mm.cams.cam_file import cam_path, save_cam_file
from wsss_mm.utils.manifest import (
    IF_STALE,
    RECORD_NAME,
    RecipeMismatchError,
    differences,
    file_identity,
    flatten,
    folder_identity,
    plan_resume,
    split_identity,
)

IDS = ['a', 'b', 'c', 'd']
RECIPE = dict(
    stage='infer_cams',
    model=dict(cam_source='ensemble', backbone=dict(depth=50)),
    cam_infer=dict(scales=(1.0, 0.5), flip=True),
    split=split_identity(IDS, 'train.txt'),
)


def write_cams(folder, ids):
    for img_id in ids:
        save_cam_file(cam_path(folder, img_id), np.array([1]), np.zeros((1, 4, 4)))


def plan(folder, recipe=RECIPE, **options):
    return plan_resume(folder, recipe, IDS, lambda i: cam_path(folder, i), **options)


def test_flatten_names_nested_keys_and_list_items():
    tree = dict(model=dict(head=dict(num_classes=20)), scales=[1.0, 0.5], steps=[dict(k=1)])
    assert flatten(tree) == {'model.head.num_classes': 20, 'scales': [1.0, 0.5], 'steps.0.k': 1}
    old, new = dict(RECIPE), dict(RECIPE, model=dict(cam_source='graph', backbone=dict(depth=50)))
    assert differences(old, new) == ["model.cam_source: 'ensemble' -> 'graph'"]
    assert differences(old, dict(old, extra=1)) == ["extra: '(none)' -> 1"]
    # another checkpoint is named by its path; the same one retrained by its mtime
    first = dict(checkpoint=dict(path='/w/a.pth', size=1, mtime='t0'), method='CAM')
    other = dict(checkpoint=dict(path='/w/b.pth', size=2, mtime='t1'), method='GradCAM')
    assert differences(first, other) == [
        "checkpoint.path: '/w/a.pth' -> '/w/b.pth'",
        "method: 'CAM' -> 'GradCAM'",
    ]
    retrained = dict(first, checkpoint=dict(path='/w/a.pth', size=1, mtime='t1'))
    assert differences(first, retrained) == ["checkpoint.mtime: 't0' -> 't1'"]


def test_same_recipe_resumes_and_remakes_what_is_not_whole(tmp_path):
    folder = str(tmp_path / 'cams')
    assert plan(folder).todo == IDS
    with open(osp.join(folder, RECORD_NAME)) as f:
        record = json.load(f)
    assert record['recipe']['cam_infer'] == {'scales': [1.0, 0.5], 'flip': True}
    write_cams(folder, IDS[:3])
    with open(cam_path(folder, 'b'), 'w') as f:
        f.write('not an archive')
    resumed = plan(folder)
    assert resumed.todo == ['b', 'd'] and resumed.unreadable == ['b']
    assert resumed.summary() == dict(done=2, skipped=2, total=4, unreadable=1)
    assert plan(folder, overwrite=True).todo == IDS  # the same recipe, everything again
    assert plan(folder, overwrite=IF_STALE).todo == ['b', 'd']
    with pytest.raises(ValueError, match='overwrite must be'):
        plan(folder, overwrite='yes')


def test_another_recipe_is_refused_naming_what_differs(tmp_path):
    folder = str(tmp_path / 'cams')
    plan(folder)
    write_cams(folder, IDS)
    other = dict(
        RECIPE,
        model=dict(cam_source='graph', backbone=dict(depth=50)),
        cam_infer=dict(scales=(1.0,), flip=True),
    )
    with pytest.raises(RecipeMismatchError) as info:
        plan(folder, other)
    message = str(info.value)
    assert message == (
        f'{folder} was made by another recipe ({RECORD_NAME}): cam_infer.scales: [1.0, 0.5] '
        "-> [1.0]; model.cam_source: 'ensemble' -> 'graph'. Rerun with --overwrite to redo "
        'it, or choose a new --out-dir'
    )
    assert isinstance(info.value, ValueError)  # the tools print it as one line
    # the refused folder is untouched: its record still names the old recipe
    assert plan(folder).todo == []
    assert plan(folder, other, overwrite=IF_STALE).todo == IDS
    assert plan(folder, other).todo == []  # the new record holds now


def test_files_without_a_record_are_refused(tmp_path):
    folder = str(tmp_path / 'cams')
    write_cams(folder, IDS[:2])
    with pytest.raises(RecipeMismatchError, match='holds files but no recipe record'):
        plan(folder)
    assert plan(folder, overwrite=True).todo == IDS
    with open(osp.join(folder, RECORD_NAME), 'w') as f:
        f.write('{not json')
    with pytest.raises(RecipeMismatchError, match='unreadable recipe record'):
        plan(folder)
    assert plan(folder, overwrite=True).todo == IDS
    assert plan(str(tmp_path / 'other'), flag='--work-dir').todo == IDS  # an empty folder


def test_identities_of_files_and_folders(tmp_path):
    checkpoint = tmp_path / 'a.pth'
    checkpoint.write_bytes(b'1234')
    identity = file_identity(str(checkpoint))
    assert identity['path'] == str(checkpoint) and identity['size'] == 4
    copy = tmp_path / 'b.pth'
    shutil.copy(checkpoint, copy)
    assert file_identity(str(copy))['path'] != identity['path']
    assert file_identity(None) is None

    # a folder with a record is named by its recipe, one without by its files
    folder = str(tmp_path / 'cams')
    write_cams(folder, IDS)
    unrecorded = folder_identity(folder)
    assert unrecorded['files'] == 4
    os.remove(cam_path(folder, 'a'))
    assert folder_identity(folder) != unrecorded
    plan(folder, overwrite=True)
    recorded = folder_identity(folder)
    assert set(recorded) == {'path', 'recipe'}
    plan(folder, dict(RECIPE, stage='other'), overwrite=True)
    assert folder_identity(folder)['recipe'] != recorded['recipe']
