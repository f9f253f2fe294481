"""Synthetic data, for runs and tests without a real dataset at hand.

photos       synthetic lesion photos on real or invented clinical records, in the PAD-UFES-20 layout
             (`python -m training.synthetic`)
layouts      the same set rewritten as the HAM10000 or ISIC 2019 download
paired       a clinical close-up and a dermoscopic photo per case, in Derm7pt's layout
             (`python -m training.synthetic.paired`)
photo_shift  photos of another type than the training photos: what the out-of-distribution score must flag
non_lesion   images that show no skin lesion at all
"""
