"""Subset membership (SegMix Tables 3-4, Fig. 5) on hand-made masks."""

import numpy as np
import pytest

from wsss_mm.evaluation.subsets import (
    cooccurrence_subsets,
    count_bucket,
    image_subsets,
    object_instances,
    occlusion_flags,
    partner_classes,
    partner_subsets,
    touching_pairs,
)

PERSON, HORSE, CAR, BOTTLE, CAT = 15, 13, 7, 5, 8


def canvas(size=(20, 30)):
    return np.zeros(size, np.uint8)


def test_two_touching_objects_are_one_occ_and_all_occ():
    sem = canvas()
    sem[2:8, 2:8] = PERSON
    sem[2:8, 8:14] = HORSE  # adjacent, no border
    assert image_subsets(sem) == ['1-Occ', 'All-Occ', '2-Obj', '2-Cls']


def test_a_far_object_is_not_all_occ():
    sem = canvas()
    sem[2:8, 2:8] = PERSON
    sem[2:8, 8:14] = HORSE
    sem[12:18, 22:28] = CAR  # far, background between
    subsets = image_subsets(sem)
    assert '1-Occ' in subsets and 'All-Occ' not in subsets
    assert '3-Obj' in subsets and '3-Cls' in subsets


def test_background_between_objects_is_no_touch_even_when_close():
    sem = canvas()
    sem[2:8, 2:8] = PERSON
    sem[2:8, 9:15] = HORSE  # one background column between
    assert occlusion_flags(touching_pairs(object_instances(sem)[0], sem == 255)) == (False, False)


def test_instance_border_between_touching_instances_counts_as_touching():
    """Two people (one class) touching, VOC style: a 3 px 255 band between them."""
    sem, inst = canvas(), canvas()
    sem[2:12, 2:10], inst[2:12, 2:10] = PERSON, 1
    sem[2:12, 13:20], inst[2:12, 13:20] = PERSON, 2
    sem[2:12, 10:13] = inst[2:12, 10:13] = 255
    objects, classes = object_instances(sem, inst)
    assert objects.max() == 2 and classes.tolist() == [PERSON, PERSON]
    assert touching_pairs(objects, inst == 255, touch_distance=3)[0, 1]
    assert not touching_pairs(objects, inst == 255, touch_distance=2)[0, 1]
    assert image_subsets(sem, inst) == ['1-Occ', 'All-Occ', '2-Obj', '1-Cls']
    # without the instance mask the two are two components of one class that the
    # border separates: still two objects, touching through the ignore band
    assert image_subsets(sem) == ['1-Occ', 'All-Occ', '2-Obj', '1-Cls']


def test_same_class_touching_objects_merge_without_instances():
    sem = canvas()
    sem[2:8, 2:8] = PERSON
    sem[2:8, 8:14] = PERSON
    objects, classes = object_instances(sem)
    assert objects.max() == 1 and classes.tolist() == [PERSON]
    assert image_subsets(sem) == ['1-Obj', '1-Cls']


def test_counts_small_objects_and_buckets():
    sem = canvas((40, 40))
    for n, cls in enumerate([1, 2, 3, 4, 5, 6]):
        sem[2 + 6 * n : 6 + 6 * n, 2:6] = cls  # 6 objects 4x4, 2 px apart
    sem[38:40, 38:40] = 7  # 4 px: below min_object_pixels=10
    objects, classes = object_instances(sem)
    assert objects.max() == 6 and 7 not in classes
    subsets = image_subsets(sem)
    assert '5+-Obj' in subsets and '5+-Cls' in subsets and '1-Occ' not in subsets
    assert count_bucket(0, 'Obj') is None and count_bucket(4, 'Obj') == '4-Obj'
    assert image_subsets(canvas()) == []  # background only: no subset


def test_instance_class_is_the_majority_of_its_pixels():
    sem, inst = canvas(), canvas()
    sem[2:10, 2:10], inst[2:10, 2:10] = HORSE, 3
    sem[2:4, 2:10] = PERSON  # 16 of 64 pixels
    assert object_instances(sem, inst)[1].tolist() == [HORSE]
    with pytest.raises(ValueError, match='instance mask is 4x4'):
        object_instances(sem, np.zeros((4, 4), np.uint8))


def test_cooccurrence_threshold_rule():
    matrix = np.zeros((21, 21), np.int64)
    matrix[CAT, BOTTLE] = matrix[BOTTLE, CAT] = 18  # the paper's example
    matrix[PERSON, CAR] = matrix[CAR, PERSON] = 45
    assert cooccurrence_subsets([CAT, BOTTLE], matrix) == [
        'cooc<50',
        'cooc<40',
        'cooc<30',
        'cooc<20',
    ]
    assert cooccurrence_subsets([CAT, BOTTLE, PERSON, CAR], matrix) == ['cooc<50']
    assert cooccurrence_subsets([PERSON, HORSE], matrix) == [  # never together: 0
        'cooc<50',
        'cooc<40',
        'cooc<30',
        'cooc<20',
        'cooc<10',
    ]
    assert len(cooccurrence_subsets([CAR], matrix)) == 5  # no pair: kept in all
    assert cooccurrence_subsets([CAR], matrix, keep_single_class=False) == []
    assert cooccurrence_subsets([], matrix) == []
    # a 'pixels' (asymmetric) matrix counts a pair as C[i, j] + C[j, i]
    pixels = np.zeros((21, 21), np.int64)
    pixels[CAT, BOTTLE], pixels[BOTTLE, CAT] = 6, 5
    assert cooccurrence_subsets([CAT, BOTTLE], pixels, (12, 11)) == ['cooc<12']


def test_person_partners_and_exclusive_membership():
    matrix = np.zeros((21, 21), np.int64)
    for cls, count in [(HORSE, 30), (CAR, 45), (BOTTLE, 20), (CAT, 0), (0, 99)]:
        matrix[PERSON, cls] = matrix[cls, PERSON] = count
    assert partner_classes(matrix, PERSON, 5) == [CAR, HORSE, BOTTLE]
    assert partner_classes(matrix, PERSON, 2) == [CAR, HORSE]
    names = [str(i) for i in range(21)]
    names[PERSON], names[HORSE], names[CAR] = 'person', 'horse', 'car'
    partners = [CAR, HORSE]
    assert partner_subsets([PERSON, HORSE], PERSON, partners, names) == ['person+horse']
    assert partner_subsets([PERSON, HORSE, CAR], PERSON, partners, names) == [
        'person+car',
        'person+horse',
    ]
    assert partner_subsets([HORSE], PERSON, partners, names) == ['only-horse']
    assert partner_subsets([HORSE, CAT], PERSON, partners, names) == []
    sem = canvas()
    sem[2:8, 2:8] = HORSE
    subsets = image_subsets(
        sem, cooccurrence=matrix, anchor=PERSON, partners=partners, class_names=names
    )
    assert subsets[-1] == 'only-horse' and 'cooc<10' in subsets
