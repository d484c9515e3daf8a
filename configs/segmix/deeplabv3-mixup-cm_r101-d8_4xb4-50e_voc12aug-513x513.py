# SegMix's Table 9 "+ Mixup + Co-occurrence": DeepLabv3 (one output, Mixup's loss) on
# batches blended by co-occurrence (CoOccurrenceMix of
# binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py, same matrix file), without the binding
# network.
_base_ = ['./binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py']
model = dict(phantom_head=None, binding_head=None)
