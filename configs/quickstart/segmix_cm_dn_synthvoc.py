# SegMix's quickstart denoising stage (stage 2, Eq. 6) of Binding-CM: the stage-1
# network of segmix_cm_synthvoc.py fine-tuned on the unmixed training set with
# ℓ_t + ℓ_PPA (the phantom branch's activations pushed to zero), at a tenth of the
# learning rate (paper: 2.5e-4 -> 2.5e-5), same epochs; the binding head is frozen and
# the network is tested with the dominant branch S_t.
#   python tools/train.py configs/quickstart/segmix_cm_dn_synthvoc.py --data-root data/synthvoc \
#       --cfg-options load_from=work_dirs/segmix_cm_synthvoc/epoch_64.pth
# (the same with segmix_cc_synthvoc.py's checkpoint gives Binding-CC + DN)
_base_ = ['./segmix_cm_synthvoc.py']
model = dict(data_preprocessor=dict(batch_augments=[]), stage=2, predict_with='dominant')
optim_wrapper = dict(optimizer=dict(lr=0.001))
