# Table 2, row 4: baseline + L_tcp + L_cpcr with OHEM (top 20%) + PCM; adding PRCM gives
# cpn_r38_voc.py (row 5).
_base_ = ['./cpn_r38_voc.py']
model = dict(prcm=None)
