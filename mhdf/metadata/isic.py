"""The ISIC family's clinical fields: ISIC 2019, ISIC 2020, HAM10000, the ISIC Archive (`isic image download`) and
MILK10k (the ISIC 2025 challenge).

Allowed values follow the ISIC Archive's own vocabulary, the `isic-metadata` package, at release 4.12.0 (the
newest that supports Python 3.11): ``sex`` from ``MetadataRow.sex``, the eight general anatomic sites from
``AnatomSiteGeneralEnum``, Fitzpatrick types from ``FitzpatrickSkinType``. The core never imports that package;
``tests/test_metadata_isic.py`` compares these tables with it. The challenge sets froze older spellings (ISIC
2020's six ``anatom_site_general_challenge`` sites, HAM10000's ``localization``), which are kept as published; so
has MILK10k, whose ``site`` and ``skin_tone_class`` are its own (sources in `training.data.milk10k`).

Columns that give the label away (``benign_malignant``, ``diagnosis_confirm_type``, ``dx_type``, ``melanocytic``,
the source ``dataset``...) are never fields here; `training.data.leakage` lists them with the reason for each.
"""

from __future__ import annotations

from mhdf.metadata.pad_ufes_20 import FITZPATRICK_LABELS
from mhdf.metadata.schema import FieldSpec, MetadataSchema, capitalized_labels

# isic-metadata 4.12.0: MetadataRow.sex, AnatomSiteGeneralEnum, FitzpatrickSkinType.
ISIC_SEXES = ("female", "male")
ISIC_ANATOM_SITES_GENERAL = (
    "head/neck", "upper extremity", "lower extremity", "anterior torso", "posterior torso", "palms/soles",
    "lateral torso", "oral/genital",
)  # fmt: skip
ISIC_FITZPATRICK = ("I", "II", "III", "IV", "V", "VI")
# ISIC 2020's anatom_site_general_challenge merges the three torso sites and leaves lateral torso out.
ISIC_2020_SITES = ("head/neck", "upper extremity", "lower extremity", "torso", "palms/soles", "oral/genital")
# HAM10000_metadata.csv `localization`, without "unknown" (read as missing).
HAM10000_SITES = (
    "abdomen", "acral", "back", "chest", "ear", "face", "foot", "genital", "hand", "lower extremity", "neck",
    "scalp", "trunk", "upper extremity",
)  # fmt: skip

# The eight diagnostic categories of the ISIC 2019 challenge (ISIC_2019_Training_GroundTruth.csv, minus UNK).
ISIC_2019_CLASS_LABELS = {
    "MEL": "Melanoma",
    "NV": "Melanocytic nevus",
    "BCC": "Basal cell carcinoma",
    "AK": "Actinic keratosis",
    "BKL": "Benign keratosis (solar lentigo, seborrheic keratosis, lichen planus-like keratosis)",
    "DF": "Dermatofibroma",
    "VASC": "Vascular lesion",
    "SCC": "Squamous cell carcinoma",
}
HAM10000_CLASS_LABELS = {
    "AKIEC": "Actinic keratosis or intraepithelial carcinoma (Bowen's disease)",
    "BCC": "Basal cell carcinoma",
    "BKL": "Benign keratosis (solar lentigo, seborrheic keratosis, lichen planus-like keratosis)",
    "DF": "Dermatofibroma",
    "MEL": "Melanoma",
    "NV": "Melanocytic nevus",
    "VASC": "Vascular lesion",
}
ISIC_2020_TARGET_LABELS = {"benign": "Benign", "malignant": "Malignant"}
# MILK10k_Training_Metadata.csv `site`: seven general sites of the challenge's own, not the archive's eight.
MILK10K_SITES = ("head_neck_face", "trunk", "upper_extremity", "lower_extremity", "hand", "foot", "genital")
# `skin_tone_class`: 0 (very dark) to 5 (very light), a scale of the challenge's own, so that it is not read as a
# Fitzpatrick type.
MILK10K_SKIN_TONES = ("0", "1", "2", "3", "4", "5")
# The eleven diagnostic categories of MILK10k_Training_GroundTruth.csv, as the challenge page names them.
MILK10K_CLASS_LABELS = {
    "AKIEC": "Actinic keratosis or intraepidermal carcinoma",
    "BCC": "Basal cell carcinoma",
    "BEN_OTH": "Other benign proliferation (collision tumours included)",
    "BKL": "Benign keratinocytic lesion",
    "DF": "Dermatofibroma",
    "INF": "Inflammatory or infectious condition",
    "MAL_OTH": "Other malignant proliferation (collision tumours included)",
    "MEL": "Melanoma",
    "NV": "Melanocytic nevus",
    "SCCKA": "Squamous cell carcinoma or keratoacanthoma",
    "VASC": "Vascular lesion or hemorrhage",
}


_SITE_LABELS = {
    "head/neck": "Head or neck",
    "palms/soles": "Palms or soles",
    "oral/genital": "Oral or genital",
    "head_neck_face": "Head, neck or face",
    "upper_extremity": "Upper extremity",
    "lower_extremity": "Lower extremity",
}


def _age(name: str) -> FieldSpec:
    # The archive reports ages rounded to 5 years and caps them at 85 ("85+"); the centre and scale are those of
    # ISIC 2019's age_approx (mean 54, sd 18).
    return FieldSpec(
        name=name,
        kind="numeric",
        label="Age",
        group="patient",
        unit="years",
        minimum=0.0,
        maximum=120.0,
        center=54.0,
        scale=18.0,
        description="Approximate age of the patient in years (rounded to 5 years).",
    )


def _sex(name: str = "sex") -> FieldSpec:
    return FieldSpec(
        name=name,
        kind="categorical",
        label="Sex",
        group="patient",
        values=ISIC_SEXES,
        aliases={"F": "female", "M": "male"},
        description="Sex of the patient.",
        value_labels=capitalized_labels(ISIC_SEXES),
    )


def _site(name: str, sites: tuple[str, ...]) -> FieldSpec:
    return FieldSpec(
        name=name,
        kind="categorical",
        label="Anatomic site",
        group="lesion",
        values=sites,
        description="General anatomic site of the lesion.",
        value_labels={site: _SITE_LABELS.get(site, site.capitalize()) for site in sites},
    )


def _yes_no(name: str, label: str, description: str) -> FieldSpec:
    return FieldSpec(
        name=name,
        kind="boolean",
        label=label,
        group="patient",
        values=("False", "True"),
        aliases={"NO": "False", "YES": "True", "0": "False", "1": "True"},
        description=description,
        value_labels={"False": "No", "True": "Yes"},
    )


# ISIC_2019_Training_Metadata.csv: image, age_approx, anatom_site_general, lesion_id, sex.
ISIC_2019 = MetadataSchema(
    name="isic-2019",
    label="ISIC 2019",
    fields=(_age("age_approx"), _site("anatom_site_general", ISIC_ANATOM_SITES_GENERAL), _sex()),
    classes=tuple(ISIC_2019_CLASS_LABELS),
    class_labels=ISIC_2019_CLASS_LABELS,
)

# ISIC 2020 train.csv: image_name, patient_id, sex, age_approx, anatom_site_general_challenge, diagnosis,
# benign_malignant, target. The classes are those of `--isic-2020-task target`; the diagnosis task replaces them.
ISIC_2020 = MetadataSchema(
    name="isic-2020",
    label="ISIC 2020",
    fields=(_sex(), _age("age_approx"), _site("anatom_site_general_challenge", ISIC_2020_SITES)),
    classes=tuple(ISIC_2020_TARGET_LABELS),
    class_labels=ISIC_2020_TARGET_LABELS,
)

# HAM10000_metadata.csv: lesion_id, image_id, dx, dx_type, age, sex, localization[, dataset].
HAM10000 = MetadataSchema(
    name="ham10000",
    label="HAM10000",
    fields=(_age("age"), _sex(), _site("localization", HAM10000_SITES)),
    classes=tuple(HAM10000_CLASS_LABELS),
    class_labels=HAM10000_CLASS_LABELS,
)

# metadata.csv of `isic image download`: the archive's clinical fields that a clinic records before a diagnosis.
ISIC_ARCHIVE = MetadataSchema(
    name="isic-archive",
    label="ISIC Archive",
    fields=(
        _age("age_approx"),
        _sex(),
        _site("anatom_site_general", ISIC_ANATOM_SITES_GENERAL),
        FieldSpec(
            name="fitzpatrick_skin_type",
            kind="categorical",
            label="Fitzpatrick skin type",
            group="patient",
            values=ISIC_FITZPATRICK,
            aliases={str(i): roman for i, roman in enumerate(ISIC_FITZPATRICK, start=1)},
            description="Fitzpatrick phototype of the patient's skin.",
            value_labels=dict(zip(ISIC_FITZPATRICK, FITZPATRICK_LABELS.values(), strict=True)),
        ),
        _yes_no("personal_hx_mm", "Personal history of melanoma", "The patient has had a melanoma before."),
        _yes_no("family_hx_mm", "Family history of melanoma", "A first-degree relative has had a melanoma."),
        FieldSpec(
            name="clin_size_long_diam_mm",
            kind="numeric",
            label="Largest diameter",
            group="lesion",
            unit="mm",
            minimum=0.0,
            maximum=500.0,
            center=6.0,
            scale=5.0,
            description="Clinical size: the longest diameter of the lesion in millimetres.",
        ),
    ),
    classes=tuple(ISIC_2019_CLASS_LABELS),
    class_labels=ISIC_2019_CLASS_LABELS,
)

# MILK10k_Training_Metadata.csv: per image lesion_id, image_type, isic_id, attribution, copyright_license,
# image_manipulation, age_approx, sex, skin_tone_class, site and seven MONET concept scores. The clinical fields are
# the lesion's (both photos of a lesion carry the same); `training.data.milk10k` says why the rest is never read.
MILK10K = MetadataSchema(
    name="milk10k",
    label="MILK10k",
    fields=(
        _age("age_approx"),
        _sex(),
        FieldSpec(
            name="skin_tone_class",
            kind="categorical",
            label="Skin tone",
            group="patient",
            values=MILK10K_SKIN_TONES,
            # a table re-saved by pandas writes the column as floats once a cell is blank
            aliases={f"{tone}.0": tone for tone in MILK10K_SKIN_TONES},
            description="Skin tone of the patient, from 0 (very dark) to 5 (very light); not a Fitzpatrick type.",
            value_labels={
                tone: f"{tone} ({label})"
                for tone, label in zip(
                    MILK10K_SKIN_TONES,
                    ("very dark", "dark", "medium dark", "medium light", "light", "very light"),
                    strict=True,
                )
            },
        ),
        _site("site", MILK10K_SITES),
    ),
    classes=tuple(MILK10K_CLASS_LABELS),
    class_labels=MILK10K_CLASS_LABELS,
)
