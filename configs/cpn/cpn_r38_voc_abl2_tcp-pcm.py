# Table 2, row 2: baseline + L_tcp + PCM (no L_cpcr, no PRCM).
_base_ = ['./cpn_r38_voc.py']
model = dict(prcm=None, loss_cpcr=None)
