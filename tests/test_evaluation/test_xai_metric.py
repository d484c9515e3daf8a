"""Multi-label XAI metrics (seed 002, A.1.3 / B.1.2) by hand, of the ground-truth or
the detected classes."""

import numpy as np
import pytest
import torch

from wsss_mm.evaluation.metrics.xai_metric import (
    NO_CLASS_KEY,
    XAI_KEYS,
    MultiLabelXAIMetric,
    explained_classes,
)

# image 1: classes 0 and 1; image 2: class 0 alone
SAMPLES = [
    dict(
        gt_labels=torch.tensor([1.0, 1, 0]),
        pred_scores=torch.tensor([0.8, 0.5, 0.1]),
        masked_scores=torch.tensor([[0.9, 0.25, 0.1], [0.4, 0.5, 0.3]]),
        complement_scores=torch.tensor([[0.2, 0.5, 0.1], [0.8, 0.1, 0.1]]),
    ),
    dict(
        gt_labels=torch.tensor([1.0, 0, 0]),
        pred_scores=torch.tensor([0.5, 0.2, 0.2]),
        masked_scores=torch.tensor([[0.25, 0.2, 0.2]]),
        complement_scores=torch.tensor([[0.5, 0.2, 0.2]]),
    ),
]


def test_xai_metrics_by_hand():
    metric = MultiLabelXAIMetric()
    metric.process(None, SAMPLES)
    result = metric.evaluate(2)
    # pairs (image, class): IC, AD, AR, ADO, ARO
    #   (1, 0): 1, 0,   0.75, (0.5 - 0.25) / 0.5 = 0.5, 0
    #   (1, 1): 0, 0,   0.8,  (0.8 - 0.4) / 0.8 = 0.5,  0
    #   (2, 0): 0, 0.5, 0,    0 (no other class),        0
    # class 0: IC .5, AD .25, AR .375, ADO .25, ARO 0 -> F1- 0, F1+ HM(.25, .375) = .3
    # class 1: IC 0,  AD 0,   AR .8,   ADO .5,  ARO 0 -> F1- 0, F1+ HM(.5, .8) = 8/13
    expected = {
        'IC': 25,
        'AD': 12.5,
        'ADO': 37.5,
        'AR': 58.75,
        'ARO': 0,
        'F1-': 0,
        'F1+': (0.3 + 8 / 13) / 2 * 100,
    }
    assert set(result) == {f'xai/{k}' for k in (*XAI_KEYS, NO_CLASS_KEY)}
    assert result[f'xai/{NO_CLASS_KEY}'] == 0
    for key, value in expected.items():
        assert result[f'xai/{key}'] == pytest.approx(value), key


def test_a_perfect_mask_of_a_lone_class():
    metric = MultiLabelXAIMetric()
    metric.process(
        None,
        [
            dict(
                gt_labels=torch.tensor([0.0, 1]),
                pred_scores=torch.tensor([0.1, 0.6]),
                masked_scores=torch.tensor([[0.1, 0.7]]),
                complement_scores=torch.tensor([[0.1, 0.0]]),
            )
        ],
    )
    result = metric.compute_metrics(metric.results)
    assert result == {
        'IC': 100,
        'AD': 0,
        'ADO': 0,
        'AR': 100,
        'ARO': 0,
        'F1-': 0,
        'F1+': 0,
        NO_CLASS_KEY: 0,
    }
    assert np.isnan(MultiLabelXAIMetric().compute_metrics([])['IC'])


# Image A: ground truth {0, 1}, detected (Y > 0.5) {0, 2}: class 1 is missed and the
# absent class 2 is detected. Image B: ground truth {2}, nothing detected (0.5 is not > 0.5).
# O^c and Ō^c of each (image, class) a CAM method could be asked for:
HAND_SCORES = {'A': torch.tensor([0.8, 0.4, 0.6]), 'B': torch.tensor([0.1, 0.2, 0.5])}
HAND_LABELS = {'A': torch.tensor([1.0, 1, 0]), 'B': torch.tensor([0.0, 0, 1])}
HAND_MASKED = {
    ('A', 0): [0.4, 0.2, 0.3],
    ('A', 1): [0.8, 0.5, 0.6],
    ('A', 2): [0.2, 0.4, 0.9],
    ('B', 2): [0.1, 0.2, 0.25],
}
HAND_COMPLEMENT = {
    ('A', 0): [0.4, 0.2, 0.6],
    ('A', 1): [0.8, 0.1, 0.6],
    ('A', 2): [0.4, 0.4, 0.3],
    ('B', 2): [0.1, 0.2, 0.5],
}


def hand_samples(pairs):
    """The samples of images A and B with the rows of the explained ``pairs``."""

    def rows(table, image):
        return torch.tensor([table[p] for p in pairs if p[0] == image]).reshape(-1, 3)

    return [
        dict(
            gt_labels=HAND_LABELS[i],
            pred_scores=HAND_SCORES[i],
            masked_scores=rows(HAND_MASKED, i),
            complement_scores=rows(HAND_COMPLEMENT, i),
        )
        for i in ('A', 'B')
    ]


@pytest.mark.parametrize(
    'classes, pairs, expected',
    [
        # (A, 0): IC 0, AD .5, AR .5, ADO (others {1}) .5, ARO .5
        # (A, 1): IC 1, AD 0,  AR .75, ADO (others {0}) 0, ARO 0
        # (B, 2): IC 0, AD .5, AR 0,  ADO 0 (alone),      ARO 0
        # F1-: class 0 HM(.5, .5) = .5, classes 1 and 2 0; F1+: class 0 HM(.5, .5), 1 and 2 0
        (
            'labels',
            [('A', 0), ('A', 1), ('B', 2)],
            {
                'IC': 100 / 3,
                'AD': 100 / 3,
                'ADO': 50 / 3,
                'AR': 125 / 3,
                'ARO': 50 / 3,
                'F1-': 50 / 3,
                'F1+': 50 / 3,
                NO_CLASS_KEY: 0,
            },
        ),
        # (A, 0): IC 0, AD .5, AR .5, ADO (others {2}) (.6 - .3) / .6 = .5, ARO 0
        # (A, 2): IC 1, AD 0,  AR .5, ADO (others {0}) .75, ARO .5; B: no pair, counted
        # F1-: HM(.5, 0) = HM(0, .5) = 0; F1+: class 0 HM(.5, .5) = .5, class 2 HM(.75, .5) = .6
        (
            'detected',
            [('A', 0), ('A', 2)],
            {
                'IC': 50,
                'AD': 25,
                'ADO': 62.5,
                'AR': 50,
                'ARO': 25,
                'F1-': 0,
                'F1+': 55,
                NO_CLASS_KEY: 1,
            },
        ),
    ],
)
def test_ground_truth_or_detected_classes_by_hand(classes, pairs, expected):
    metric = MultiLabelXAIMetric(classes=classes)
    metric.process(None, hand_samples(pairs))
    result = metric.compute_metrics(metric.results)
    assert result == pytest.approx(expected)


def test_explained_classes_and_bad_options():
    labels = torch.stack(list(HAND_LABELS.values()))
    scores = torch.stack(list(HAND_SCORES.values()))
    assert explained_classes(labels, scores).equal(labels)
    detected = explained_classes(labels, scores, 'detected')
    assert detected.equal(torch.tensor([[1.0, 0, 1], [0, 0, 0]]))
    detected = explained_classes(labels, scores, 'detected', detect_threshold=0.3)
    assert detected.equal(torch.tensor([[1.0, 1, 1], [0, 0, 1]]))
    with pytest.raises(ValueError, match='classes must be one of .* got "gt"'):
        MultiLabelXAIMetric(classes='gt')
    with pytest.raises(ValueError, match='classes must be one of'):
        explained_classes(labels, scores, 'predicted')
    # image B's ground-truth row does not fit its detected classes (none)
    metric = MultiLabelXAIMetric(classes='detected')
    with pytest.raises(ValueError, match='1 masked and 1 complement rows for 0 explained'):
        metric.process(None, hand_samples([('B', 2)])[1:])
