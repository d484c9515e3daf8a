# Table 2, row 3: baseline + L_tcp + L_cpcr (without OHEM) + PCM.
_base_ = ['./cpn_r38_voc.py']
model = dict(prcm=None, loss_cpcr=dict(ohem_ratio=1.0))
