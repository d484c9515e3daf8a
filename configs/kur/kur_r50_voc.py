# KUR-α (seed 002, Eq. 25 and B.1.4) on the IRN / AdvCAM CAM network: ResNet-50, VOC
# train_aug; the classifier's effective kernel is α · W ∘ softmax_over_classes(W), α = C = 20.
_base_ = ['../cam/cam_r50_voc.py']
model = dict(head=dict(type='KURHead', alpha=None))  # None: α = num_classes (KUR-α)
