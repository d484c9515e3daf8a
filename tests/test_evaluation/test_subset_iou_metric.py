"""SubsetIoUMetric: each subset's mIoU is the mIoU of its images' summed areas; the
instance masks beside the ground truth are used; bad co-occurrence files are named."""

import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.structures import PixelData
from mmseg.datasets import PascalVOCDataset
from mmseg.structures import SegDataSample
from PIL import Image

from wsss_mm.registry import METRICS

CLASSES = PascalVOCDataset.METAINFO['classes']
PERSON, HORSE, CAR = (CLASSES.index(n) for n in ('person', 'horse', 'car'))


def sample(gt: np.ndarray, pred: np.ndarray, seg_map_path: str = '') -> dict:
    """A data sample as the evaluator hands it to a metric (``to_dict()``)."""
    data = SegDataSample(metainfo=dict(seg_map_path=seg_map_path))
    data.gt_sem_seg = PixelData(data=torch.from_numpy(gt.astype(np.int64))[None])
    data.pred_sem_seg = PixelData(data=torch.from_numpy(pred.astype(np.int64))[None])
    return data.to_dict()


def hand_miou(pairs) -> float:
    """mIoU (%) of summed per-class intersections / unions, empty unions left out."""
    inter, union = np.zeros(21), np.zeros(21)
    for gt, pred in pairs:
        keep = gt != 255
        for c in range(21):
            g, p = (gt == c) & keep, (pred == c) & keep
            inter[c] += (g & p).sum()
            union[c] += (g | p).sum()
    return float(np.round(np.nanmean(inter[union > 0] / union[union > 0]) * 100, 2))


def images():
    """Three 12x12 images: person touching horse; a lone car; person + far car."""
    rng = np.random.default_rng(0)
    out = []
    touching = np.zeros((12, 12), np.uint8)
    touching[1:7, 1:6], touching[1:7, 6:11] = PERSON, HORSE
    lone = np.zeros((12, 12), np.uint8)
    lone[3:9, 3:9] = CAR
    far = np.zeros((12, 12), np.uint8)
    far[0:4, 0:4], far[8:12, 8:12] = PERSON, CAR
    far[5, 5] = 255
    for gt in (touching, lone, far):
        pred = gt.copy()
        flip = rng.random(gt.shape) < 0.2
        pred[flip] = rng.choice([0, PERSON, HORSE, CAR], flip.sum())
        pred[pred == 255] = 0
        out.append((gt, pred))
    return out


def run(samples, **options) -> dict:
    metric = METRICS.build(dict(type='SubsetIoUMetric', **options))
    metric.dataset_meta = dict(classes=CLASSES)
    metric.process(None, samples)
    return metric.compute_metrics(metric.results)


def cooccurrence_file(tmp_path, size=21) -> str:
    matrix = np.zeros((size, size), np.int64)
    if size == 21:
        matrix[PERSON, CAR] = matrix[CAR, PERSON] = 45
        matrix[PERSON, HORSE] = matrix[HORSE, PERSON] = 30
    path = str(tmp_path / 'cooc.npy')
    np.save(path, matrix)
    return path


def test_subset_miou_equals_hand_computation(tmp_path):
    pairs = images()
    result = run(
        [sample(gt, pred) for gt, pred in pairs],
        cooccurrence=cooccurrence_file(tmp_path),
        num_partner_classes=2,
    )
    touching, lone, far = pairs
    assert result['mIoU'] == hand_miou(pairs)
    assert result['1-Occ/num_images'] == result['All-Occ/num_images'] == 1
    assert result['1-Occ/mIoU'] == result['All-Occ/mIoU'] == hand_miou([touching])
    assert result['1-Obj/num_images'] == 1 and result['1-Obj/mIoU'] == hand_miou([lone])
    assert result['2-Obj/num_images'] == 2 and result['2-Obj/mIoU'] == hand_miou([touching, far])
    assert result['2-Cls/mIoU'] == hand_miou([touching, far])
    assert result['3-Obj/num_images'] == 0 and '3-Obj/mIoU' not in result
    # person + car co-occur 45 times, person + horse 30: far is only in cooc<50
    assert result['cooc<50/num_images'] == 3
    assert result['cooc<40/num_images'] == 2 and result['cooc<40/mIoU'] == hand_miou(
        [touching, lone]
    )
    assert result['cooc<10/num_images'] == 1 and result['cooc<10/mIoU'] == hand_miou([lone])
    # Table 4: partners car (45) then horse (30); the IoU of the class only
    assert result['person+car/num_images'] == 1 and result['only-car/num_images'] == 1
    gt, pred = far
    keep = gt != 255
    car_iou = ((gt == CAR) & (pred == CAR) & keep).sum() / (
        ((gt == CAR) | (pred == CAR)) & keep
    ).sum()
    assert result['person+car/IoU'] == pytest.approx(round(car_iou * 100, 2))
    assert result['person+horse/num_images'] == 1 and result['only-horse/num_images'] == 0
    assert 'only-horse/IoU' not in result


def test_without_cooccurrence_the_cooc_subsets_are_skipped():
    result = run([sample(gt, pred) for gt, pred in images()])
    assert '1-Occ/mIoU' in result and not any(k.startswith(('cooc', 'person')) for k in result)


def test_instance_masks_beside_the_ground_truth_are_used(tmp_path):
    """Two people side by side, one region of the ground truth: the instance mask
    (found beside the ground truth, or in ``instance_dir``) makes them two touching
    objects; without one (image ``b``) they are one component, one object."""
    gt = np.zeros((12, 12), np.uint8)
    gt[1:9, 1:11] = PERSON
    inst = np.zeros((12, 12), np.uint8)
    inst[1:9, 1:6], inst[1:9, 6:11] = 1, 2
    for folder in ('SegmentationClass', 'SegmentationObject'):
        (tmp_path / folder).mkdir()
    Image.fromarray(inst).save(tmp_path / 'SegmentationObject' / 'a.png')
    seg_map = str(tmp_path / 'SegmentationClass' / 'a.png')
    with_instances = run([sample(gt, gt, seg_map)])
    assert with_instances['2-Obj/num_images'] == 1 and with_instances['All-Occ/num_images'] == 1
    components = run([sample(gt, gt, str(tmp_path / 'SegmentationClass' / 'b.png'))])
    assert components['1-Obj/num_images'] == 1 and components['1-Occ/num_images'] == 0
    other = tmp_path / 'objects'
    other.mkdir()
    Image.fromarray(inst).save(other / 'a.png')
    assert run([sample(gt, gt, seg_map)], instance_dir=str(other))['2-Obj/num_images'] == 1
    Image.fromarray(np.zeros((5, 5), np.uint8)).save(other / 'a.png')
    with pytest.raises(ValueError, match=r'a\.png is 5x5'):
        run([sample(gt, gt, seg_map)], instance_dir=str(other))


def test_bad_cooccurrence_files_are_named(tmp_path):
    missing = str(tmp_path / 'nope.npy')
    with pytest.raises(FileNotFoundError, match=osp.basename(missing)):
        METRICS.build(dict(type='SubsetIoUMetric', cooccurrence=missing))
    small = cooccurrence_file(tmp_path, size=5)
    with pytest.raises(ValueError, match=r'cooc\.npy is 5x5 but the dataset has 21 classes'):
        run([sample(gt, pred) for gt, pred in images()], cooccurrence=small)
    with pytest.raises(ValueError, match="anchor_class 'human'"):
        run(
            [sample(gt, pred) for gt, pred in images()],
            cooccurrence=cooccurrence_file(tmp_path),
            anchor_class='human',
        )
