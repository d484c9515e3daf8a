"""The COCO 2014 layout of WSSS: class names, palette and where files live.

The field's layout (IRN, RIB, P-NOC) of a COCO 2014 root::

    train2014/COCO_train2014_<12 digits>.jpg     the COCO images
    val2014/COCO_val2014_<12 digits>.jpg
    SegmentationClass/train2014/<image id>.png   semantic masks from the instance
    SegmentationClass/val2014/<image id>.png     annotations: 0 = background,
                                                 1..80 = class index, 255 = ignore
    train.txt, val.txt                           image ids (file names without suffix)

The class index of a mask is the position of the category in :data:`COCO_CLASSES`
(COCO's 80 ``category_id`` values, 1..90 with gaps, in increasing order).
This module imports nothing, so that the synthetic generator can use it.
"""

#: the 81 class names, background first, then COCO's 80 categories by category id
COCO_CLASSES = (
    'background',
    'person',
    'bicycle',
    'car',
    'motorcycle',
    'airplane',
    'bus',
    'train',
    'truck',
    'boat',
    'traffic light',
    'fire hydrant',
    'stop sign',
    'parking meter',
    'bench',
    'bird',
    'cat',
    'dog',
    'horse',
    'sheep',
    'cow',
    'elephant',
    'bear',
    'zebra',
    'giraffe',
    'backpack',
    'umbrella',
    'handbag',
    'tie',
    'suitcase',
    'frisbee',
    'skis',
    'snowboard',
    'sports ball',
    'kite',
    'baseball bat',
    'baseball glove',
    'skateboard',
    'surfboard',
    'tennis racket',
    'bottle',
    'wine glass',
    'cup',
    'fork',
    'knife',
    'spoon',
    'bowl',
    'banana',
    'apple',
    'sandwich',
    'orange',
    'broccoli',
    'carrot',
    'hot dog',
    'pizza',
    'donut',
    'cake',
    'chair',
    'couch',
    'potted plant',
    'bed',
    'dining table',
    'toilet',
    'tv',
    'laptop',
    'mouse',
    'remote',
    'keyboard',
    'cell phone',
    'microwave',
    'oven',
    'toaster',
    'sink',
    'refrigerator',
    'book',
    'clock',
    'vase',
    'scissors',
    'teddy bear',
    'hair drier',
    'toothbrush',
)


def colour_map(num: int) -> list:
    """The PASCAL VOC colour map (the bits of the class id spread over R, G,
    B) for ids 0..num-1: its first 21 colours are VOC's palette.

    Returns:
        list: (num, 3) RGB lists.
    """
    palette = []
    for index in range(num):
        rgb, c = [0, 0, 0], index
        for shift in range(7, -1, -1):
            for channel in range(3):
                rgb[channel] |= ((c >> channel) & 1) << shift
            c >>= 3
        palette.append(rgb)
    return palette


#: (81, 3) RGB colour of each class id
COCO_PALETTE = colour_map(len(COCO_CLASSES))

IMG_DIRS = ('train2014', 'val2014')
MASK_DIRS = ('SegmentationClass/train2014', 'SegmentationClass/val2014')
TRAIN_SPLIT = 'train.txt'
VAL_SPLIT = 'val.txt'
