# SegMix's Binding-CM + denoising, stage 2 (seed 000, Eq. 6; Table 1, Table 7 "w/ DN",
# Table 9 "+ DN"): the stage-1 network of binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py
# fine-tuned on unmixed train_aug with ℓ_t + ℓ_PPA, lr 2.5e-5, 50 epochs; the binding head
# frozen, tested with the dominant branch S_t. load_from: stage 1's last checkpoint
# (another with --cfg-options load_from=CKPT).
_base_ = ['./binding-cm_r101-d8_4xb4-50e_voc12aug-513x513.py']
model = dict(data_preprocessor=dict(batch_augments=[]), stage=2, predict_with='dominant')
optim_wrapper = dict(optimizer=dict(lr=2.5e-5))
load_from = 'work_dirs/binding-cm_r101-d8_4xb4-50e_voc12aug-513x513/epoch_50.pth'
