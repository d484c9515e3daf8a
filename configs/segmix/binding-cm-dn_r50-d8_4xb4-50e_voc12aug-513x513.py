# The paper's "Res50" rows: DeepLabV3-ResNet50-D8 in place of the R-101 of
# binding-cm-dn_r101-d8_4xb4-50e_voc12aug-513x513.py.
_base_ = ['./binding-cm-dn_r101-d8_4xb4-50e_voc12aug-513x513.py']
model = dict(pretrained='pretrain/resnet50_v1c.pth', backbone=dict(depth=50))
load_from = 'work_dirs/binding-cm_r50-d8_4xb4-50e_voc12aug-513x513/epoch_50.pth'
