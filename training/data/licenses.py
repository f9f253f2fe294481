"""Under what terms each dataset's photos and records may be copied (read by `training.publish`)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DataLicense:
    """Under what terms a dataset's photos and records may be copied: read before publishing any of them."""

    hub_id: str  # the Hugging Face Hub licence identifier ("cc-by-4.0"), "other" when none fits
    name: str
    url: str
    citation: str  # the attribution every copy must carry
    redistributable: bool  # its photos may be copied into a public repository (e.g. as a model's examples)


PAD_UFES_20_LICENSE = DataLicense(
    hub_id="cc-by-4.0",
    name="CC BY 4.0",
    url="https://creativecommons.org/licenses/by/4.0/",
    citation="Pacheco, A. G. C. et al. (2020), PAD-UFES-20, Mendeley Data, V1, doi:10.17632/zr7vgbcyr2.1",
    redistributable=True,
)
# The ISIC challenge sets and HAM10000 are CC BY-NC 4.0: a public model repository cannot promise non-commercial
# use of photos copied into it, so their photos are not published as examples.
ISIC_LICENSE = DataLicense(
    hub_id="cc-by-nc-4.0",
    name="CC BY-NC 4.0",
    url="https://creativecommons.org/licenses/by-nc/4.0/",
    citation="International Skin Imaging Collaboration (ISIC), https://www.isic-archive.com; HAM10000: Tschandl, P. "
    "et al. (2018), Scientific Data 5:180161, doi:10.1038/sdata.2018.161",
    redistributable=False,
)
# MILK10k: its metadata's copyright_license reads "CC-BY-NC" and its attribution "MILK study team" (sources in
# training.data.milk10k). The column names no version: 4.0 is assumed, as for the other ISIC sets above; either
# way, its photos are not published as examples.
MILK10K_LICENSE = DataLicense(
    hub_id="cc-by-nc-4.0",
    name="CC BY-NC 4.0",
    url="https://creativecommons.org/licenses/by-nc/4.0/",
    citation="MILK study team (2025), MILK10k: A Hierarchical Multimodal Imaging-Learning Toolkit for Diagnosing "
    "Pigmented and Non-Pigmented Skin Cancer and its Simulators; ISIC 2025 challenge, "
    "https://challenge.isic-archive.com/landing/milk10k",
    redistributable=False,
)
# A clinic's own table: its terms are the clinic's, so nothing of it is copied unless its owner does so by hand.
OWN_DATA_LICENSE = DataLicense(
    hub_id="other",
    name="the data owner's own terms",
    url="",
    citation="the data owner's own table",
    redistributable=False,
)
# Derm7pt is handed out by its authors to registered users for research; its terms grant no redistribution.
DERM7PT_LICENSE = DataLicense(
    hub_id="other",
    name="Derm7pt terms of use (registered research use, no redistribution)",
    url="https://derm.cs.sfu.ca/",
    citation="Kawahara, J. et al. (2019), Seven-point checklist and skin lesion classification using multitask "
    "multimodal neural nets, IEEE JBHI 23(2):538-546",
    redistributable=False,
)
