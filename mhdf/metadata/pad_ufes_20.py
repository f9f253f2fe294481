"""PAD-UFES-20's clinical fields, in the column order of its metadata.csv, with the value sets that occur there."""

from __future__ import annotations

from mhdf.metadata.schema import FieldSpec, Group, MetadataSchema, capitalized_labels

_YES_NO = {"False": "No", "True": "Yes"}
_YES_NO_UNK = {**_YES_NO, "UNK": "Unknown"}


def _boolean(name: str, label: str, group: Group, description: str, unk: bool = False) -> FieldSpec:
    aliases = {"NO": "False", "YES": "True", "0": "False", "1": "True"} | ({"UNKNOWN": "UNK"} if unk else {})
    return FieldSpec(
        name=name,
        kind="boolean",
        label=label,
        group=group,
        values=("False", "True", "UNK") if unk else ("False", "True"),
        aliases=aliases,
        description=description,
        value_labels=_YES_NO_UNK if unk else _YES_NO,
    )


# Ancestry: both parents share one list, the union of the countries in PAD-UFES-20. The CSV spells Brazil
# both BRAZIL and BRASIL; any other text, such as "NÃO  ENCONTRADO" ("not found"), reads as OTHER.
_ANCESTRY = (
    "BRAZIL", "POMERANIA", "GERMANY", "ITALY", "POLAND", "NETHERLANDS", "PORTUGAL", "SPAIN",
    "AUSTRIA", "CZECH", "FRANCE", "ISRAEL", "NORWAY", "UNK", "OTHER",
)  # fmt: skip
_REGIONS = (
    "SCALP", "FACE", "EAR", "NOSE", "LIP", "NECK", "CHEST", "ABDOMEN", "BACK",
    "ARM", "FOREARM", "HAND", "THIGH", "FOOT",
)  # fmt: skip
# Fitzpatrick phototypes 1-6 and how each reacts to the sun (the ISIC Archive's schema shares the texts).
FITZPATRICK_LABELS = {
    "1": "I (always burns, never tans)",
    "2": "II (usually burns, tans minimally)",
    "3": "III (sometimes burns, tans uniformly)",
    "4": "IV (burns minimally, always tans well)",
    "5": "V (rarely burns, tans profusely)",
    "6": "VI (never burns)",
}
_ROMAN = ("I", "II", "III", "IV", "V", "VI")


def _ancestry(name: str, label: str, parent: str) -> FieldSpec:
    return FieldSpec(
        name=name,
        kind="categorical",
        label=label,
        group="patient",
        values=_ANCESTRY,
        aliases={"BRASIL": "BRAZIL", "UNKNOWN": "UNK"},
        other_value="OTHER",
        description=f"Country the patient's {parent}'s family comes from.",
        value_labels=capitalized_labels(_ANCESTRY) | {"UNK": "Unknown"},
    )


def _diameter(name: str, label: str, axis: str, center: float, scale: float) -> FieldSpec:
    # 300 mm is the bound of the PAD-UFES-20 authors' own sanity check.
    return FieldSpec(
        name=name,
        kind="numeric",
        label=label,
        group="lesion",
        unit="mm",
        minimum=0.0,
        maximum=300.0,
        center=center,
        scale=scale,
        description=f"{axis} diameter of the lesion in millimetres.",
    )


# In the column order of PAD-UFES-20's metadata.csv. center/scale: about the mean and std of its values.
PAD_UFES_20 = MetadataSchema(
    name="pad-ufes-20",
    label="PAD-UFES-20",
    fields=(
        _boolean("smoke", "Smoker", "patient", "The patient smokes cigarettes."),
        _boolean("drink", "Drinks alcohol", "patient", "The patient drinks alcoholic beverages."),
        _ancestry("background_father", "Father's ancestry", "father"),
        _ancestry("background_mother", "Mother's ancestry", "mother"),
        FieldSpec(
            name="age",
            kind="numeric",
            label="Age",
            group="patient",
            unit="years",
            minimum=0.0,
            maximum=120.0,
            center=60.5,
            scale=15.9,
            description="Age of the patient in years.",
        ),
        _boolean("pesticide", "Pesticide exposure", "patient", "The patient uses or handles pesticides."),
        FieldSpec(
            name="gender",
            kind="categorical",
            label="Gender",
            group="patient",
            values=("FEMALE", "MALE"),
            aliases={"F": "FEMALE", "M": "MALE"},
            description="Gender of the patient.",
            value_labels=capitalized_labels(("FEMALE", "MALE")),
        ),
        _boolean("skin_cancer_history", "Previous skin cancer", "patient", "The patient had skin cancer."),
        _boolean("cancer_history", "Family cancer history", "patient", "A family member has had cancer."),
        _boolean("has_piped_water", "Piped water", "patient", "The patient's home has piped water."),
        _boolean("has_sewage_system", "Sewage system", "patient", "The patient's home has sewage service."),
        FieldSpec(
            name="fitspatrick",  # sic: the dataset's spelling
            kind="categorical",
            label="Fitzpatrick skin type",
            group="patient",
            values=tuple(FITZPATRICK_LABELS),
            aliases={f"{k}.0": k for k in FITZPATRICK_LABELS} | dict(zip(_ROMAN, FITZPATRICK_LABELS, strict=True)),
            description="Skin phototype, from I (always burns) to VI (never burns).",
            value_labels=FITZPATRICK_LABELS,
        ),
        FieldSpec(
            name="region",
            kind="categorical",
            label="Body region",
            group="lesion",
            values=_REGIONS,
            description="Anatomical region of the lesion.",
            value_labels=capitalized_labels(_REGIONS),
        ),
        _diameter("diameter_1", "Diameter 1", "Horizontal", center=11.2, scale=7.0),
        _diameter("diameter_2", "Diameter 2", "Vertical", center=8.6, scale=4.7),
        _boolean("itch", "Itches", "lesion", "The lesion itches.", unk=True),
        _boolean("grew", "Grew", "lesion", "The lesion has grown recently.", unk=True),
        _boolean("hurt", "Hurts", "lesion", "The lesion hurts.", unk=True),
        _boolean("changed", "Changed", "lesion", "The lesion has changed its appearance.", unk=True),
        _boolean("bleed", "Bleeds", "lesion", "The lesion has bled.", unk=True),
        _boolean("elevation", "Elevated", "lesion", "The lesion is raised above the skin.", unk=True),
    ),
    classes=("ACK", "BCC", "MEL", "NEV", "SCC", "SEK"),
    class_labels={
        "ACK": "Actinic keratosis",
        "BCC": "Basal cell carcinoma",
        "MEL": "Melanoma",
        "NEV": "Nevus",
        "SCC": "Squamous cell carcinoma",  # includes Bowen's disease (SCC in situ)
        "SEK": "Seborrheic keratosis",
    },
)
