"""Synthetic skin-lesion data written in the PAD-UFES-20 on-disk format.

`python -m training.synthetic --out DIR --n N --seed S` writes `DIR/metadata.csv` (the real 26 columns,
spelled like the real CSV) and PNGs under `DIR/images/imgs_part_{1,2,3}/`, so the real loader reads it.
`--layout ham10000` or `--layout isic-2019` writes the same set as that download instead
(`training.synthetic.layouts`).

The photos carry their information at different scales, so that the classes need different stages of a network
and lean on the clinical data to different degrees:

* **Colour and surface, at every scale**, name one of three *looks*: ``scaly`` (red, rough: ACK and SCC),
  ``waxy`` (yellow-brown, glossy: BCC and SEK) and ``pigmented`` (dark brown with a pigment network: MEL and NEV).
  One lesion in ten presents with another look, as amelanotic melanomas do.
* **Fine texture** tells the waxy pair apart: a seborrhoeic keratosis is covered by a keratin texture a few
  pixels across (which a network resolves only in its early, high-resolution stages); a BCC is smooth.
* **Global shape** tells the pigmented pair apart: a melanoma is larger, elongated, lopsided and ragged, a
  nevus small, round and regular.
* **Nothing in the photo** tells the scaly pair apart: ACK and SCC photos are drawn from one distribution, so
  only the clinical record can separate them.

Within each pair the cue's strength varies from lesion to lesion, so the clinical record helps everywhere a cue
is faint. The clinical records come from a `RecordSource`. The default, `InventedRecords`, knows only whether a
lesion is benign (ACK, NEV, SEK) or malignant (BCC, MEL, SCC): malignant lesions bleed, grow, hurt and change more
often, sit on sun-exposed sites, belong to older patients, are larger and are always biopsied (as in the real
set, non-biopsied rows lack the socio-demographic fields). None of the photo structure depends on these rules,
so a source that draws the records of each class from a real table can replace it. Everything is drawn from one
`numpy.random.Generator`, so the same seed gives byte-identical files.
"""

import argparse
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np
import pandas as pd
from PIL import Image, ImageFilter
from scipy import ndimage

from training.data.pad_ufes_20 import PAD_UFES_20_COLUMNS
from training.synthetic.layouts import LAYOUTS, write_layout

# Image counts of the real PAD-UFES-20 (2,298 images); the generator keeps these proportions.
REAL_CLASS_COUNTS = {"ACK": 730, "BCC": 845, "MEL": 52, "NEV": 244, "SCC": 192, "SEK": 235}
LOOK_OF_CLASS = {"ACK": "scaly", "SCC": "scaly", "BCC": "waxy", "SEK": "waxy", "MEL": "pigmented", "NEV": "pigmented"}
MALIGNANT = frozenset({"BCC", "MEL", "SCC"})
ATYPICAL_LOOK_RATE = 0.1

# Real ratios: 1,641 lesions of 1,373 patients in 2,298 images.
IMAGES_PER_LESION = ((1, 2, 3, 4), (0.70, 0.20, 0.07, 0.03))
LESIONS_PER_PATIENT = ((1, 2, 3, 4), (0.85, 0.11, 0.03, 0.01))
BENIGN_BIOPSY_RATE = 0.21  # ~58% of the real images are biopsy-proven, all BCC/MEL/SCC among them

REGIONS = ("FACE", "NOSE", "EAR", "NECK", "SCALP", "LIP", "CHEST", "BACK", "FOREARM", "ARM", "HAND", "THIGH",
           "ABDOMEN", "FOOT")  # fmt: skip
REGION_WEIGHTS = {
    True: (28, 14, 6, 7, 5, 4, 8, 9, 7, 5, 4, 1, 1, 1),  # malignant: sun-exposed head and neck
    False: (12, 3, 2, 6, 2, 1, 17, 17, 12, 11, 7, 4, 4, 2),
}
# P(True) of each symptom column for (malignant, benign) lesions; a few answers are UNK.
SYMPTOM_RATES = {
    "itch": (0.55, 0.35),
    "grew": (0.65, 0.20),
    "hurt": (0.45, 0.10),
    "changed": (0.45, 0.10),
    "bleed": (0.55, 0.10),
    "elevation": (0.75, 0.40),
}
SYMPTOM_UNKNOWN_RATE = 0.03
AGE_MEAN_SD = {True: (67.0, 11.0), False: (55.0, 15.0)}
DIAMETER_MEDIAN_MM = {True: 12.0, False: 7.0}
ANCESTRIES = ("POMERANIA", "GERMANY", "ITALY", "BRAZIL", "UNK", "NETHERLANDS", "PORTUGAL", "POLAND", "BRASIL",
              "SPAIN", "AUSTRIA")  # fmt: skip
ANCESTRY_WEIGHTS = (35, 25, 15, 8, 5, 3, 3, 3, 1, 1, 1)
FITZPATRICK_WEIGHTS = (5, 45, 38, 8, 3, 1)  # types 1..6; the real cohort is mostly light-skinned
# P(True) of the patient-level yes/no columns for (malignant, benign) patients.
PATIENT_RATES = {
    "smoke": (0.18, 0.12),
    "drink": (0.32, 0.28),
    "pesticide": (0.45, 0.35),
    "skin_cancer_history": (0.55, 0.30),
    "cancer_history": (0.50, 0.40),
    "has_piped_water": (0.75, 0.75),
    "has_sewage_system": (0.60, 0.60),
}
SOCIO_COLUMNS = ("smoke", "drink", "background_father", "background_mother", "pesticide", "gender",
                 "skin_cancer_history", "cancer_history", "has_piped_water", "has_sewage_system", "fitspatrick",
                 "diameter_1", "diameter_2")  # fmt: skip  # empty on non-biopsied rows, as in the real CSV

SKIN_RGB = {  # Fitzpatrick type -> mean skin colour
    1: (0.95, 0.81, 0.73),
    2: (0.89, 0.72, 0.61),
    3: (0.80, 0.61, 0.47),
    4: (0.67, 0.47, 0.33),
    5: (0.47, 0.31, 0.22),
    6: (0.31, 0.22, 0.16),
}
LESION_RGB = {  # look -> (main colour, secondary colour for variegation)
    "scaly": ((0.78, 0.36, 0.34), (0.62, 0.22, 0.24)),
    "waxy": ((0.66, 0.50, 0.28), (0.50, 0.35, 0.19)),
    "pigmented": ((0.42, 0.26, 0.17), (0.20, 0.12, 0.09)),
}
SCALE_RGB = (0.93, 0.89, 0.80)
MILIA_RGB = (0.97, 0.95, 0.88)
VESSEL_RGB = (0.70, 0.15, 0.20)
VEIL_RGB = (0.38, 0.42, 0.52)
LESION_EXTENT = 1.6  # texture lattices cover [-1.6, 1.6]^2 in lesion units (1 = mean border radius)
# Period of the keratin texture in half-images: 8 pixels in a 224-pixel photo, 3.4 once resized to 96.
KERATIN_PERIOD = 1 / 14


@dataclass(frozen=True)
class LesionLook:
    """What one lesion looks like, fixed across its photos. Lengths in lesion units, radius in half-images."""

    look: str
    radius: float
    aspect: float
    harmonics: np.ndarray  # (K, 3): order k, amplitude, phase of the border r(theta) = 1 + sum a cos(k theta + p)
    softness: float
    opacity: float
    main_rgb: np.ndarray
    secondary_rgb: np.ndarray
    variegation: float
    coarse: np.ndarray  # (8, 8) lattice: variegation, blue-grey veil
    medium: np.ndarray  # (20, 20) lattice: vessels, network warp
    fine: np.ndarray  # (48, 48) lattice: scales, milia, globules
    feature_level: float  # scale cover, network contrast or milia density, depending on the look
    keratin: float  # contrast of the fine keratin texture (0: a smooth surface)
    keratin_angle: float
    veil: bool
    vessels: bool


@dataclass(frozen=True)
class PhotoView:
    """How one photo frames the lesion: pose, exposure, white balance, defocus."""

    centre: tuple[float, float]
    angle: float
    zoom: float
    brightness: float
    white_balance: np.ndarray
    blur: float


def _choice(rng: np.random.Generator, values, weights):
    weights = np.asarray(weights, dtype=float)
    return values[rng.choice(len(values), p=weights / weights.sum())]


def draw_look(cls: str, rng: np.random.Generator) -> LesionLook:
    """Draws a lesion's appearance: its class's look (or, rarely, another one) with per-lesion variation.

    Each pair's cue lives at one scale: keratin texture (fine) for SEK vs BCC, shape (global) for MEL vs NEV,
    nothing for SCC vs ACK. Its strength is drawn per lesion, so some lesions show it only faintly.
    """
    look = LOOK_OF_CLASS[cls]
    if rng.random() < ATYPICAL_LOOK_RATE:
        look = _choice(rng, tuple(sorted({"scaly", "waxy", "pigmented"} - {look})), (1, 1))
    aspect = rng.uniform(0.8, 1.0)
    if look == "scaly":
        radius, irregular, asym, softness = rng.uniform(0.45, 0.65), rng.uniform(0.05, 0.11), 0.1, 0.2
        opacity, variegation, feature_level = rng.uniform(0.55, 0.8), rng.uniform(0.2, 0.5), rng.uniform(0.25, 0.5)
    elif look == "waxy":
        radius, irregular, asym, softness = rng.uniform(0.38, 0.55), rng.uniform(0.01, 0.03), 0.05, 0.05
        opacity, variegation, feature_level = rng.uniform(0.8, 0.95), rng.uniform(0.1, 0.4), rng.uniform(0.05, 0.15)
    else:
        radius, irregular, asym, softness = rng.uniform(0.3, 0.42), rng.uniform(0.01, 0.03), 0.03, 0.06
        opacity, variegation, feature_level = rng.uniform(0.8, 0.95), rng.uniform(0.3, 0.7), rng.uniform(0.4, 0.8)
    if cls == "MEL":  # global shape: larger, elongated, lopsided, ragged
        strength = rng.uniform(0.3, 1.0)
        radius *= 1 + 0.35 * strength
        aspect *= 1 - 0.3 * strength
        asym += 0.16 * strength
        irregular += 0.08 * strength
    keratin = rng.uniform(0.08, 0.3) if cls == "SEK" else 0.0  # fine texture
    orders = np.arange(1, 13)
    # Orders 1-2 make the lesion lopsided (asymmetry), higher orders make its border ragged (irregularity).
    ragged = irregular * rng.uniform(0, 2, 12) / np.sqrt(orders)
    amplitudes = np.where(orders <= 2, rng.uniform(0.5 * asym, 1.5 * asym, 12), ragged)
    harmonics = np.stack([orders, amplitudes, rng.uniform(0, 2 * np.pi, 12)], axis=1).astype(np.float32)
    main, secondary = (np.array(c) for c in LESION_RGB[look])
    return LesionLook(
        look=look,
        radius=radius,
        aspect=aspect,
        harmonics=harmonics,
        softness=softness * rng.uniform(0.7, 1.3),
        opacity=opacity,
        main_rgb=np.clip(main + rng.normal(0, 0.04, 3), 0, 1),
        secondary_rgb=np.clip(secondary + rng.normal(0, 0.03, 3), 0, 1),
        variegation=variegation,
        coarse=rng.standard_normal((8, 8)),
        medium=rng.standard_normal((20, 20)),
        fine=rng.standard_normal((48, 48)),
        feature_level=feature_level,
        keratin=keratin,
        keratin_angle=rng.uniform(0, np.pi),
        veil=look == "pigmented" and rng.random() < 0.25,
        vessels=look == "waxy" and rng.random() < 0.5,
    )


def draw_view(rng: np.random.Generator) -> PhotoView:
    """Draws how one photo of a lesion was taken; photos are framed on the lesion, as in the real set."""
    return PhotoView(
        centre=tuple(rng.uniform(-0.12, 0.12, 2)),
        angle=rng.uniform(0, 2 * np.pi),
        zoom=rng.uniform(0.85, 1.15),
        brightness=rng.uniform(0.85, 1.12),
        white_balance=rng.uniform(0.96, 1.04, 3),
        blur=float(rng.choice((0.0, 0.0, 0.5, 1.0))),
    )


def _sample_lattice(lattice: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Bilinear samples of a lattice spanning [-LESION_EXTENT, LESION_EXTENT]^2 at lesion coordinates."""
    scale = (lattice.shape[0] - 1) / (2 * LESION_EXTENT)
    return ndimage.map_coordinates(lattice, [(v + LESION_EXTENT) * scale, (u + LESION_EXTENT) * scale], order=1,
                                   mode="nearest")  # fmt: skip


def render(look: LesionLook, view: PhotoView, skin_rgb: np.ndarray, size: int, rng: np.random.Generator) -> Image.Image:
    """Renders one (size, size) RGB photo of a lesion on skin; the lesion's textures move with the lesion."""
    grid = ((np.arange(size, dtype=np.float64) + 0.5) / (size / 2) - 1.0).astype(np.float32)
    x, y = grid[None, :] - float(view.centre[0]), grid[:, None] - float(view.centre[1])
    # Python floats keep the (size, size) arithmetic in float32, which halves the rendering time.
    cos, sin, scale = float(np.cos(view.angle)), float(np.sin(view.angle)), float(look.radius * view.zoom)
    u = (cos * x + sin * y) / scale
    v = (-sin * x + cos * y) / (scale * float(look.aspect))
    distance, theta = np.hypot(u, v), np.arctan2(v, u)
    orders, amplitudes, phases = look.harmonics.T
    border = 1.0 + np.tensordot(amplitudes, np.cos(orders[:, None, None] * theta + phases[:, None, None]), 1)
    inside = np.clip((border - distance) / look.softness + 0.5, 0.0, 1.0)

    coarse = _sample_lattice(look.coarse, u, v)
    medium = _sample_lattice(look.medium, u, v)
    fine = _sample_lattice(look.fine, u, v)
    mix = look.variegation / (1.0 + np.exp(-3.0 * coarse))
    lesion = look.main_rgb * (1 - mix[..., None]) + look.secondary_rgb * mix[..., None]
    if look.look == "scaly":
        scales = np.clip((fine - (1.0 - 2 * look.feature_level)) * 2.0, 0, 1)[..., None]
        lesion = lesion * (1 - scales) + np.array(SCALE_RGB) * scales
        lesion = lesion * (1 + 0.08 * medium[..., None])  # rough surface
    elif look.look == "waxy":
        dome = 1.0 + 0.18 * np.clip(1.0 - distance**2, 0, 1)
        lesion = lesion * dome[..., None]
        milia = np.clip((fine - (2.2 - 4 * look.feature_level)) * 3.0, 0, 1)[..., None]
        lesion = lesion * (1 - milia) + np.array(MILIA_RGB) * milia
        if look.vessels:
            vessels = np.clip(1.0 - np.abs(medium) / 0.12, 0, 1)[..., None] * (distance < 0.9)[..., None]
            lesion = lesion * (1 - 0.8 * vessels) + np.array(VESSEL_RGB) * 0.8 * vessels
        gloss = np.exp(-((u + 0.35) ** 2 + (v + 0.35) ** 2) / 0.04)[..., None]
        lesion = lesion + (1 - lesion) * 0.6 * gloss
    else:
        warp = 0.25 * medium
        lines = np.minimum(np.abs(np.sin(4.0 * np.pi * (u + warp))), np.abs(np.sin(4.0 * np.pi * (v - warp))))
        network = np.clip(1.0 - lines / 0.35, 0, 1) * look.feature_level
        lesion = lesion * (1 - 0.7 * network[..., None])
        globules = np.clip((fine - 1.6) * 2.0, 0, 1)[..., None]
        lesion = lesion * (1 - 0.6 * globules)
        if look.veil:
            veil = np.clip((coarse - 0.2) * 2.0, 0, 0.8)[..., None]
            lesion = lesion * (1 - veil) + np.array(VEIL_RGB) * veil
    if look.keratin:
        # in image (not lesion) units, so the texture is equally fine on every lesion; zero-mean, so it leaves
        # the lesion's mean colour alone and only a fine-scale filter sees it
        cos_k, sin_k = float(np.cos(look.keratin_angle)), float(np.sin(look.keratin_angle))
        a, b = (cos_k * x + sin_k * y) / KERATIN_PERIOD, (-sin_k * x + cos_k * y) / KERATIN_PERIOD
        texture = np.sin(2 * np.pi * a) * np.sin(2 * np.pi * b)
        lesion = lesion * (1 + 2 * look.keratin * texture[..., None])

    skin_cells = rng.standard_normal((6, 6))
    blotches = ndimage.zoom(skin_cells, size / 6, order=1, mode="nearest", grid_mode=True)[:size, :size]
    skin = np.asarray(skin_rgb) * (1 + 0.05 * blotches[..., None]) + rng.normal(0, 0.012, (size, size, 1))
    alpha = (inside * look.opacity)[..., None]
    photo = skin * (1 - alpha) + lesion * alpha
    vignette = 1.0 - 0.12 * (grid[None, :] ** 2 + grid[:, None] ** 2)
    photo = photo * view.brightness * view.white_balance * vignette[..., None]
    photo = photo + rng.normal(0, 0.01, photo.shape)
    image = Image.fromarray((np.clip(photo, 0, 1) * 255 + 0.5).astype(np.uint8))
    return image.filter(ImageFilter.GaussianBlur(view.blur)) if view.blur else image


def class_image_counts(n: int) -> dict[str, int]:
    """Splits n images over the classes in the real proportions (largest remainder); every class gets one
    image as soon as n >= 6, so even small sets contain each class."""
    classes = sorted(REAL_CLASS_COUNTS)
    share = np.array([REAL_CLASS_COUNTS[c] for c in classes], dtype=float)
    share = share / share.sum() * n
    counts = np.floor(share).astype(int)
    counts[np.argsort(-(share - counts), kind="stable")[: n - counts.sum()]] += 1
    if n >= len(classes):
        while (counts == 0).any():
            counts[np.argmax(counts)] -= 1
            counts[np.argmin(counts)] += 1
    return dict(zip(classes, counts.tolist(), strict=True))


def _yes_no(rng: np.random.Generator, rate: float, unknown_rate: float = 0.0) -> str:
    if rng.random() < unknown_rate:
        return "UNK"
    return "True" if rng.random() < rate else "False"


def _mm(value: float) -> str:
    return f"{max(1, round(value))}.0"  # the real CSV stores whole millimetres as floats


class RecordSource(Protocol):
    """Where the clinical columns of the synthetic rows come from (values spelled as in the real CSV)."""

    def patient(self, malignant: bool, rng: np.random.Generator) -> dict[str, str]:
        """The patient-level columns of a patient; `malignant`: one of their lesions is."""

    def lesion(self, cls: str, patient: dict[str, str], rng: np.random.Generator) -> dict[str, str]:
        """Every clinical column of one lesion's rows (the patient's included), `biopsed` too; blank cells ''."""


class InventedRecords:
    """Clinical records from invented rates that depend only on benign vs malignant (see the module doc)."""

    def patient(self, malignant: bool, rng: np.random.Generator) -> dict[str, str]:
        mean, sd = AGE_MEAN_SD[malignant]
        fields = {name: _yes_no(rng, rates[0 if malignant else 1]) for name, rates in PATIENT_RATES.items()}
        fields.update(
            age=str(int(np.clip(round(rng.normal(mean, sd)), 6, 94))),
            gender=_choice(rng, ("FEMALE", "MALE"), (1, 1)),
            background_father=_choice(rng, ANCESTRIES, ANCESTRY_WEIGHTS),
            background_mother=_choice(rng, ANCESTRIES, ANCESTRY_WEIGHTS),
            fitspatrick=f"{int(_choice(rng, (1, 2, 3, 4, 5, 6), FITZPATRICK_WEIGHTS))}.0",
        )
        return fields

    def lesion(self, cls: str, patient: dict[str, str], rng: np.random.Generator) -> dict[str, str]:
        malignant = cls in MALIGNANT
        biopsed = malignant or rng.random() < BENIGN_BIOPSY_RATE
        diameter_1 = DIAMETER_MEDIAN_MM[malignant] * rng.lognormal(0, 0.35)
        row = dict(patient)
        row.update(
            region=_choice(rng, REGIONS, REGION_WEIGHTS[malignant]),
            diameter_1=_mm(diameter_1),
            diameter_2=_mm(diameter_1 * rng.uniform(0.6, 1.0)),
            biopsed=str(biopsed),
            **{
                name: _yes_no(rng, rates[0 if malignant else 1], SYMPTOM_UNKNOWN_RATE)
                for name, rates in SYMPTOM_RATES.items()
            },  # fmt: skip
        )
        if not biopsed:
            row.update(dict.fromkeys(SOCIO_COLUMNS, ""))
        return row


def skin_colour(fitspatrick: str, rng: np.random.Generator) -> np.ndarray:
    """A patient's mean skin RGB from their Fitzpatrick type ("3.0"); a blank type draws one."""
    kind = (
        int(float(fitspatrick)) if fitspatrick.strip() else int(_choice(rng, (1, 2, 3, 4, 5, 6), FITZPATRICK_WEIGHTS))
    )
    return np.clip(np.array(SKIN_RGB[kind]) + rng.normal(0, 0.025, 3), 0, 1)


def generate(
    out_dir: str | Path, n: int, seed: int, image_size: int = 128, records: RecordSource | None = None
) -> pd.DataFrame:
    """Writes n synthetic images and their metadata.csv in the PAD-UFES-20 layout; returns the CSV table.

    `records` draws the clinical columns (default: `InventedRecords`); the photos depend only on the class and
    on the patient's Fitzpatrick type, which sets the skin colour.
    """
    records = records or InventedRecords()
    if n < 1:
        raise ValueError(f"n must be a positive number of images, got {n}")
    if image_size < 16:
        raise ValueError(f"image_size must be at least 16 pixels, got {image_size}")
    out_dir = Path(out_dir)
    if (out_dir / "metadata.csv").exists() or (out_dir / "images").exists():
        raise ValueError(f"{out_dir} already holds a dataset; choose an empty or new directory")
    rng = np.random.default_rng(seed)

    # Lesions of each class until its image count is reached, then patients owning one or more lesions.
    lesions = []  # (class, number of photos)
    for cls, count in class_image_counts(n).items():
        while count > 0:
            photos = min(count, int(_choice(rng, *IMAGES_PER_LESION)))
            lesions.append((cls, photos))
            count -= photos
    lesions = [lesions[i] for i in rng.permutation(len(lesions))]
    owners, patient = [], 0
    while len(owners) < len(lesions):
        owners += [patient] * int(_choice(rng, *LESIONS_PER_PATIENT))
        patient += 1
    owners = owners[: len(lesions)]
    num_patients = owners[-1] + 1
    patient_numbers = rng.choice(np.arange(1, max(2000, 2 * num_patients)), num_patients, replace=False)
    lesion_numbers = rng.choice(np.arange(1, max(4100, 3 * len(lesions))), len(lesions), replace=False)

    patients = []
    for p in range(num_patients):
        malignant = any(lesions[i][0] in MALIGNANT for i in range(len(lesions)) if owners[i] == p)
        fields = records.patient(malignant, rng)
        fields["patient_id"] = f"PAT_{patient_numbers[p]}"
        patients.append((fields, skin_colour(fields.get("fitspatrick", ""), rng)))

    # Row order of the CSV, and with it the image folder of each row (the real download splits its images
    # over three folders), drawn first so every image is saved as soon as it is drawn.
    order = rng.permutation(n)
    folders = _image_folders(out_dir, order)

    rows = []
    for i, (cls, photos) in enumerate(lesions):
        fields, skin = patients[owners[i]]
        row = {**records.lesion(cls, fields, rng), "lesion_id": str(lesion_numbers[i]), "diagnostic": cls}
        look = draw_look(cls, rng)
        for number in rng.choice(np.arange(1, 1000), photos, replace=False):
            img_id = f"{row['patient_id']}_{row['lesion_id']}_{number}.png"
            save_photo(render(look, draw_view(rng), skin, image_size, rng), folders[len(rows)] / img_id)
            rows.append({**row, "img_id": img_id})

    table = pd.DataFrame([rows[i] for i in order], columns=list(PAD_UFES_20_COLUMNS))
    table.to_csv(out_dir / "metadata.csv", index=False)
    return table


def generate_for_records(out_dir: str | Path, table: pd.DataFrame, seed: int, image_size: int = 128) -> pd.DataFrame:
    """One synthetic photo for each row of a real PAD-UFES-20 metadata table, written with the table unchanged.

    Each photo is drawn for its row's class, with one look per lesion (patient_id, lesion_id: lesion ids repeat
    across patients) and the skin colour of the patient's Fitzpatrick type. Every clinical value, id and patient
    grouping is the real one, so the clinical views teach what real patients show; only the photos are synthetic.
    """
    out_dir = Path(out_dir)
    if (out_dir / "metadata.csv").exists() or (out_dir / "images").exists():
        raise ValueError(f"{out_dir} already holds a dataset; choose an empty or new directory")
    if missing := set(PAD_UFES_20_COLUMNS) - set(table.columns):
        raise ValueError(f"the records lack the PAD-UFES-20 columns {', '.join(sorted(missing))}")
    unknown = set(table["diagnostic"]) - set(REAL_CLASS_COUNTS)
    if unknown:
        raise ValueError(f"unknown diagnostic value(s) {', '.join(sorted(unknown))}")
    rng = np.random.default_rng(seed)
    folders = _image_folders(out_dir, np.arange(len(table)))
    skins, looks = {}, {}
    for index, row in enumerate(table.itertuples(index=False)):
        if row.patient_id not in skins:
            skins[row.patient_id] = skin_colour(str(row.fitspatrick), rng)
        lesion = (row.patient_id, row.lesion_id)
        if lesion not in looks:
            looks[lesion] = draw_look(row.diagnostic, rng)
        photo = render(looks[lesion], draw_view(rng), skins[row.patient_id], image_size, rng)
        save_photo(photo, folders[index] / row.img_id)
    table.to_csv(out_dir / "metadata.csv", index=False)
    return table


def _image_folders(out_dir: Path, order: np.ndarray) -> list[Path]:
    """The folder of each row: the rows, taken in `order`, split over imgs_part_1..3 as in the real download."""
    folders = [Path()] * len(order)
    for part, chunk in enumerate(np.array_split(order, 3), start=1):
        folder = out_dir / "images" / f"imgs_part_{part}"
        folder.mkdir(parents=True, exist_ok=True)
        for row in chunk:
            folders[row] = folder
    return folders


def save_photo(photo: Image.Image, path: Path) -> None:
    # the fastest zlib level: PNG stays lossless and the data set is written in half the time
    photo.save(path, compress_level=1)


def write_pad_format(args: argparse.Namespace, out_dir: Path) -> pd.DataFrame:
    if args.records is not None:
        records = pd.read_csv(args.records, dtype=str, keep_default_na=False)
        return generate_for_records(out_dir, records, args.seed, image_size=args.size)
    return generate(out_dir, args.n, args.seed, image_size=args.size)


def get_args_parser(add_help: bool = True) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description="Write a synthetic dataset in the PAD-UFES-20 (or HAM10000, ISIC 2019) format", add_help=add_help
    )
    parser.add_argument("--out", required=True, type=Path, help="output directory (must not hold a dataset yet)")
    parser.add_argument("--n", default=2000, type=int, help="number of images (ignored with --records)")
    parser.add_argument(
        "--records", default=None, type=Path,
        help="a real PAD-UFES-20 metadata.csv: one synthetic photo per row, the rows kept as they are",
    )  # fmt: skip
    parser.add_argument("--seed", default=0, type=int, help="random seed; the same seed gives identical files")
    parser.add_argument("--size", default=128, type=int, help="image side in pixels")
    parser.add_argument(
        "--layout", default="pad-ufes-20", choices=("pad-ufes-20", *LAYOUTS),
        help="the download layout to write (the same synthetic set in each)",
    )  # fmt: skip
    return parser


def main(args: argparse.Namespace) -> None:
    if args.layout == "pad-ufes-20":
        table = write_pad_format(args, args.out)
    else:
        if args.out.exists() and any(args.out.iterdir()):
            raise ValueError(f"{args.out} is not empty; choose an empty or new directory")
        with tempfile.TemporaryDirectory() as pad_dir:
            table = write_pad_format(args, Path(pad_dir))
            args.out.mkdir(parents=True, exist_ok=True)
            write_layout(Path(pad_dir), table, args.out, args.layout)
    counts = table["diagnostic"].value_counts().reindex(sorted(REAL_CLASS_COUNTS), fill_value=0)
    print(
        f"wrote {len(table)} images of {table['lesion_id'].nunique()} lesions from "
        f"{table['patient_id'].nunique()} patients to {args.out} as {args.layout} ("
        + ", ".join(f"{cls} {count}" for cls, count in counts.items())
        + ")"
    )


if __name__ == "__main__":
    main(get_args_parser().parse_args())
