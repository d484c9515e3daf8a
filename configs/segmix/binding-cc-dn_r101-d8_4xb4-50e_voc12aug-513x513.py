# SegMix's Binding-CC + denoising, stage 2 (seed 000, Eq. 6; Table 1, Table 7 "w/ DN"):
# the stage-1 network of binding-cc_r101-d8_4xb4-50e_voc12aug-513x513.py fine-tuned on
# unmixed train_aug (the recipe of binding-cm-dn_r101-d8_4xb4-50e_voc12aug-513x513.py).
_base_ = ['./binding-cm-dn_r101-d8_4xb4-50e_voc12aug-513x513.py']
load_from = 'work_dirs/binding-cc_r101-d8_4xb4-50e_voc12aug-513x513/epoch_50.pth'
