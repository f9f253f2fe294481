"""Helpers the tests share: the repository's paths, the demo app in a subprocess (`benchmarks.served_app`, which the
benchmarks use too), dataset fixtures written in the real download formats, and a training run small enough for a
test. Test modules import from here, never from each other.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from PIL import Image

from benchmarks import served_app
from benchmarks.served_app import ROOT, RunningApp, free_port  # noqa: F401 (the tests import them from here)
from mhdf import MHDFConfig, MHDFNet
from mhdf.inference.checkpoint import write_example, write_model_card
from training import evaluate, train
from training.data.pad_ufes_20 import PAD_UFES_20_COLUMNS

# The checkpoint most tests run on: the synthetic-photo one, whose exact behaviour (lesson cases, routing, trust
# figures) they were written against. The bundled demo, trained on real photos, is DEFAULT_CHECKPOINT.
SYNTHETIC_CHECKPOINT = ROOT / "assets" / "demo-synthetic"


def running_app(workdir: Path, checkpoint: Path = SYNTHETIC_CHECKPOINT, **options):
    """`benchmarks.served_app.running_app`, on the synthetic checkpoint unless a test names another."""
    return served_app.running_app(workdir, checkpoint, **options)


# Chromium for the Playwright tests (/usr/bin/chromium, never `playwright install`): quiet, no sandbox in containers.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# (patient, lesion, diagnostic, biopsied, images) of the PAD-UFES-20 fixture: 16 patients, all six classes.
PAD_LESIONS = [
    ("PAT_1", 10, "BCC", True, 2), ("PAT_1", 11, "ACK", False, 1), ("PAT_2", 20, "ACK", False, 1),
    ("PAT_3", 30, "NEV", False, 2), ("PAT_4", 40, "SEK", True, 1), ("PAT_5", 50, "SCC", True, 1),
    ("PAT_6", 60, "MEL", True, 1), ("PAT_7", 70, "BCC", True, 1), ("PAT_8", 80, "ACK", True, 1),
    ("PAT_9", 90, "NEV", False, 1), ("PAT_10", 100, "SEK", False, 2), ("PAT_11", 110, "SCC", True, 1),
    ("PAT_12", 120, "MEL", True, 1), ("PAT_13", 130, "BCC", True, 1), ("PAT_14", 140, "ACK", False, 1),
    ("PAT_15", 150, "NEV", False, 1), ("PAT_16", 160, "BCC", True, 3),
]  # fmt: skip
# A biopsied row and a non-biopsied row as the real CSV spells them (the latter lacks most fields).
BIOPSIED = "False,True,POMERANIA,BRASIL,55,False,FEMALE,True,True,True,True,3.0,NECK,6.0,5.0"
NOT_BIOPSIED = ",,,,8,,,,,,,,ARM,,"
SYMPTOMS = "True,UNK,False,True,True,True"


def write_pad(root, lesions=PAD_LESIONS, extra_column=None):
    """Writes metadata.csv and one PNG per image, alternating between images/imgs_part_1 and _2."""
    lines = [",".join(PAD_UFES_20_COLUMNS) + (f",{extra_column[0]}" if extra_column else "")]
    for i, (patient, lesion, diagnostic, biopsied, photos) in enumerate(lesions):
        for photo in range(photos):
            img_id = f"{patient}_{lesion}_{100 + photo}.png"
            clinical = (BIOPSIED if biopsied else NOT_BIOPSIED).split(",")
            row = [patient, str(lesion), *clinical[:15], diagnostic, *SYMPTOMS.split(","), img_id, str(biopsied)]
            lines.append(",".join(row) + (f",{extra_column[1](i)}" if extra_column else ""))
            folder = root / "images" / f"imgs_part_{1 + (len(lines) % 2)}"
            folder.mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (40, 30), (120 + i, 80, 60)).save(folder / img_id)
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return root


DERM7PT_HEADER = (
    "case_num,diagnosis,seven_point_score,pigment_network,streaks,pigmentation,regression_structures,"
    "dots_and_globules,blue_whitish_veil,vascular_structures,level_of_diagnostic_difficulty,elevation,location,"
    "sex,clinic,derm,management"
)
DERM7PT_CASES = [  # diagnosis, elevation, location, sex, management
    ("basal cell carcinoma", "palpable", "head neck", "female", "excision"),
    ("clark nevus", "flat", "back", "male", "clinical follow up"),
    ("melanoma (in situ)", "flat", "lower limbs", "female", "excision"),
    ("lentigo", "flat", "upper limbs", "male", "no further examination"),
    ("seborrheic keratosis", "nodular", "chest", "male", "clinical follow up"),
    ("blue nevus", "palpable", "acral", "female", "excision"),
]


def write_derm7pt(release):
    """A release_v0 tree: meta/meta.csv, meta/{train,valid,test}_indexes.csv, images/<folder>/<file>.jpg."""
    (release / "meta").mkdir(parents=True)
    lines = [DERM7PT_HEADER]
    for case, (diagnosis, elevation, location, sex, management) in enumerate(DERM7PT_CASES, start=1):
        clinic, derm = f"Aal{2 * case:03d}.jpg", f"Aal{2 * case + 1:03d}.jpg"
        lines.append(f"{case},{diagnosis},1,absent,absent,absent,absent,absent,absent,absent,low,{elevation},"
                     f"{location},{sex},AAL/{clinic},AAL/{derm},{management}")  # fmt: skip
        for name, shade in ((clinic, 50), (derm, 200)):
            (release / "images" / "AAL").mkdir(parents=True, exist_ok=True)
            Image.new("RGB", (32, 32), (shade, shade, shade)).save(release / "images" / "AAL" / name)
    (release / "meta" / "meta.csv").write_text("\n".join(lines) + "\n")
    for name, rows in (("train", [0, 1, 2]), ("valid", [3]), ("test", [4, 5])):
        (release / "meta" / f"{name}_indexes.csv").write_text("indexes\n" + "\n".join(map(str, rows)) + "\n")
    return release


# training.train options for a backbone and input size small enough that an epoch over ~100 images takes about a
# second on one core.
TRAIN_TINY = ["--backbone", "mobilenetv3_small_050", "--image-size", "32", "--token-dim", "16", "--num-heads", "2",
              "--expert-hidden", "16", "--batch-size", "16", "--workers", "0", "--threads", "1",
              "--device", "cpu"]  # fmt: skip


def train_tiny(data, out, *extra, dataset="pad-ufes-20"):
    argv = ["--data", str(data), "--dataset", dataset, "--out", str(out), *TRAIN_TINY, *extra]
    train.main(train.get_args_parser().parse_args(argv))


def evaluate_tiny(checkpoint, data, out, *extra, dataset="pad-ufes-20"):
    """`training.evaluate` of a tiny run's checkpoint on its held-out fold 0, in this process."""
    argv = ["--checkpoint", str(checkpoint), "--data", str(data), "--dataset", dataset, "--out", str(out)]
    evaluate.main(evaluate.get_args_parser().parse_args([*argv, "--workers", "0", "--threads", "1", *extra]))


def _photo(path: Path, shade: int) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", (32, 32), (shade % 256, 90, 60)).save(path)


ISIC_2019_CLASSES = ("MEL", "NV", "BCC", "AK", "BKL", "DF", "VASC", "SCC")
SITES_2019 = ("anterior torso", "head/neck", "lower extremity", "posterior torso", "upper extremity", "")


def isic_2019_rows(n: int = 48) -> list[tuple[str, str, str]]:
    """(image, class, lesion_id) of the ISIC 2019 fixture: images 0..31 are pairs of photos of one lesion, the rest
    have no lesion_id (as 2,400 rows of the real table)."""
    rows = []
    for i in range(n):
        lesion = i // 2 if i < 32 else None
        cls = ISIC_2019_CLASSES[(lesion if lesion is not None else i) % len(ISIC_2019_CLASSES)]
        rows.append((f"ISIC_{i:07d}", cls, f"BCN_{lesion:07d}" if lesion is not None else ""))
    return rows


def write_isic_2019(root: Path, rows=None) -> Path:
    """ISIC_2019_Training_Metadata.csv, the one-hot ISIC_2019_Training_GroundTruth.csv and the JPEGs."""
    rows = isic_2019_rows() if rows is None else rows
    meta = ["image,age_approx,anatom_site_general,lesion_id,sex"]
    truth = ["image," + ",".join(ISIC_2019_CLASSES) + ",UNK"]
    for i, (image, cls, lesion) in enumerate(rows):
        age = "" if i % 11 == 5 else f"{20 + 5 * (i % 12)}.0"
        meta.append(f"{image},{age},{SITES_2019[i % len(SITES_2019)]},{lesion},{('female', 'male', '')[i % 3]}")
        truth.append(image + "," + ",".join("1.0" if c == cls else "0.0" for c in ISIC_2019_CLASSES) + ",0.0")
        _photo(root / "ISIC_2019_Training_Input" / f"{image}.jpg", 40 * ISIC_2019_CLASSES.index(cls))
    root.mkdir(parents=True, exist_ok=True)
    (root / "ISIC_2019_Training_Metadata.csv").write_text("\n".join(meta) + "\n")
    (root / "ISIC_2019_Training_GroundTruth.csv").write_text("\n".join(truth) + "\n")
    return root


# diagnosis of ISIC 2020 rows: 3 in 10 melanoma, 1 in 10 unknown, 1 seborrheic keratosis, the rest nevus.
def isic_2020_diagnosis(i: int) -> str:
    if i == 7:
        return "seborrheic keratosis"
    return ("melanoma", "nevus", "unknown", "nevus", "melanoma", "nevus", "nevus", "melanoma", "nevus", "nevus")[i % 10]


def write_isic_2020(root: Path, n: int = 50, folder: str = "train") -> Path:
    """train.csv (the Kaggle / ISIC 2020 columns) with 12 patients, and one JPEG per row under `folder`."""
    lines = ["image_name,patient_id,sex,age_approx,anatom_site_general_challenge,diagnosis,benign_malignant,target"]
    sites = ("torso", "lower extremity", "upper extremity", "head/neck", "", "palms/soles")
    for i in range(n):
        diagnosis = isic_2020_diagnosis(i)
        malignant = diagnosis == "melanoma"
        lines.append(
            f"ISIC_{i:07d},IP_{i % 12:07d},{('male', 'female')[i % 12 % 2]},{30 + i % 12 * 4}.0,{sites[i % 6]},"
            f"{diagnosis},{'malignant' if malignant else 'benign'},{int(malignant)}"
        )
        _photo(root / folder / f"ISIC_{i:07d}.jpg", 200 if malignant else 60)
    (root / "train.csv").write_text("\n".join(lines) + "\n")
    return root


HAM10000_DX = ("akiec", "bcc", "bkl", "df", "mel", "nv", "vasc")
HAM10000_DX_TYPES = {"akiec": "histo", "bcc": "histo", "bkl": "consensus", "df": "consensus", "mel": "histo",
                     "nv": "follow_up", "vasc": "consensus"}  # fmt: skip


def write_ham10000(root: Path, n_lesions: int = 35, with_dataset: bool = True) -> Path:
    """HAM10000_metadata.csv and its images over HAM10000_images_part_1/_2: every third lesion photographed twice."""
    header = "lesion_id,image_id,dx,dx_type,age,sex,localization" + (",dataset" if with_dataset else "")
    lines, image = [header], 0
    sites = ("back", "lower extremity", "trunk", "face", "unknown", "upper extremity", "abdomen")
    for lesion in range(n_lesions):
        dx = HAM10000_DX[lesion % len(HAM10000_DX)]
        for _ in range(2 if lesion % 3 == 0 else 1):
            sex = ("male", "female", "unknown")[lesion % 3]
            row = (
                f"HAM_{lesion:07d},ISIC_{image:07d},{dx},{HAM10000_DX_TYPES[dx]},{35 + 5 * (lesion % 9)}.0,{sex},"
                + (sites[lesion // 7 % len(sites)])
            )
            lines.append(row + (",vidir_modern" if with_dataset else ""))
            part = 1 + image % 2
            _photo(root / f"HAM10000_images_part_{part}" / f"ISIC_{image:07d}.jpg", 30 * HAM10000_DX.index(dx))
            image += 1
    (root / "HAM10000_metadata.csv").write_text("\n".join(lines) + "\n")
    return root


ARCHIVE_HEADER = (
    "isic_id,attribution,copyright_license,age_approx,anatom_site_general,benign_malignant,clin_size_long_diam_mm,"
    "concomitant_biopsy,diagnosis_1,diagnosis_2,diagnosis_3,diagnosis_4,diagnosis_5,diagnosis_confirm_type,"
    "family_hx_mm,fitzpatrick_skin_type,image_type,lesion_id,melanocytic,patient_id,personal_hx_mm,sex"
)
ARCHIVE_DIAGNOSES = (  # (diagnosis_1..3, expected ISIC 2019 class or None when left out)
    ("Malignant", "Malignant melanocytic proliferations (Melanoma)", "Melanoma in situ", "MEL"),
    ("Benign", "Benign melanocytic proliferations", "Nevus", "NV"),
    ("Malignant", "Malignant adnexal epithelial proliferations - Follicular", "Basal cell carcinoma", "BCC"),
    ("Benign", "Benign epidermal proliferations", "Seborrheic keratosis", "BKL"),
    ("Benign", "Benign soft tissue proliferations - Vascular", "Hemangioma", "VASC"),
    ("Benign", "Cysts", "", None),
)


def write_isic_archive(root: Path, n: int = 40) -> Path:
    """A folder as `isic image download` writes it: metadata.csv (the archive's columns) and ISIC_*.jpg beside it.
    Patient IP_S2 shares lesion IL_0000003 with patient IP_0000003, which the doctor reports."""
    lines = [ARCHIVE_HEADER]
    for i in range(n):
        d1, d2, d3, _ = ARCHIVE_DIAGNOSES[i % len(ARCHIVE_DIAGNOSES)]
        patient = "IP_S2" if i == 39 else f"IP_{i % 10:07d}"
        lesion = f"IL_{i % 20:07d}" if i != 39 else "IL_0000003"
        if i == 39:
            d1, d2, d3, _ = ARCHIVE_DIAGNOSES[3 % len(ARCHIVE_DIAGNOSES)]
        lines.append(
            f"ISIC_{9000000 + i},Hospital {i % 3},CC-BY,{40 + i % 8 * 5},{SITES_2019[i % 5]},"
            f"{'malignant' if d1 == 'Malignant' else 'benign'},{3 + i % 7}.5,{i % 2 == 0},{d1},{d2},{d3},,,"
            f"histopathology,{i % 4 == 0},{('I', 'II', 'III', '')[i % 4]},dermoscopic,{lesion},{i % 2 == 1},"
            f"{patient},False,{('female', 'male')[i % 2]}"
        )
        _photo(root / f"ISIC_{9000000 + i}.jpg", 25 * (i % len(ARCHIVE_DIAGNOSES)))
    (root / "metadata.csv").write_text("\n".join(lines) + "\n")
    return root


# MILK10k_Training_Metadata.csv's header in the download's order (training.data.milk10k cites where it is published)
MILK10K_HEADER = (
    "lesion_id,image_type,isic_id,attribution,copyright_license,image_manipulation,age_approx,sex,skin_tone_class,"
    "site,MONET_ulceration_crust,MONET_hair,MONET_vasculature_vessels,MONET_erythema,MONET_pigmented,"
    "MONET_gel_water_drop_fluid_dermoscopy_liquid,MONET_skin_markings_pen_ink_purple_pen"
)
MILK10K_CLASSES = ("AKIEC", "BCC", "BEN_OTH", "BKL", "DF", "INF", "MAL_OTH", "MEL", "NV", "SCCKA", "VASC")
MILK10K_FIXTURE_CLASSES = ("MEL", "NV", "BCC", "SCCKA")  # of the fixture's lesions, in turn
MILK10K_SITES = ("head_neck_face", "trunk", "upper_extremity", "lower_extremity", "hand", "foot", "")
MILK10K_SHADES = {"clinical: close-up": 50, "dermoscopic": 200}  # the fixture's clinical photos dark, dermoscopic light


def milk10k_photo(lesion: int, image_type: str) -> str:
    """isic_id of a lesion's photo in the MILK10k fixture: the clinical one even, the dermoscopic one odd."""
    return f"ISIC_{2 * lesion + (image_type == 'dermoscopic'):07d}"


def write_milk10k(root: Path, n: int = 12) -> Path:
    """The MILK10k training download: two metadata rows and two JPEGs per lesion under
    MILK10k_Training_Input/<lesion_id>/, the one-hot ground truth per lesion, and the supplement (never read)."""
    meta, supplement = [MILK10K_HEADER], ["isic_id,diagnosis_full,diagnosis_confirm_type,invasion_thickness_interval"]
    truth = ["lesion_id," + ",".join(MILK10K_CLASSES)]
    for i in range(n):
        lesion, cls = f"IL_{i:07d}", MILK10K_FIXTURE_CLASSES[i % len(MILK10K_FIXTURE_CLASSES)]
        age = "" if i == 5 else str(30 + 5 * (i % 10))
        sex, tone = ("female", "male", "")[i % 3], str(i % 6)
        clinical = f"{age},{sex},{tone},{MILK10K_SITES[i % len(MILK10K_SITES)]}"
        for image_type, shade in MILK10K_SHADES.items():
            image = milk10k_photo(i, image_type)
            monet = ",".join(f"{(i + k) / 20:.3f}" for k in range(7))
            meta.append(f"{lesion},{image_type},{image},MILK study team,CC-BY-NC,instrument only,{clinical},{monet}")
            supplement.append(f"{image},{cls.lower()},histopathology,")
            _photo(root / "MILK10k_Training_Input" / lesion / f"{image}.jpg", shade)
        truth.append(lesion + "," + ",".join("1.0" if c == cls else "0.0" for c in MILK10K_CLASSES))
    for name, lines in (("Metadata", meta), ("GroundTruth", truth), ("Supplement", supplement)):
        (root / f"MILK10k_Training_{name}.csv").write_text("\n".join(lines) + "\n")
    return root


CLINIC_SCHEMA = """\
name: clinic
label: Our clinic
image_column: photo
image_folder: photos
label_column: diagnosis
classes:
  benign: Benign lesion
  malignant: Malignant lesion
patient_column: patient
fields:
  - name: age
    kind: numeric
    unit: years
    range: [0, 120]
    label: Age
    group: patient
  - name: site
    kind: categorical
    values: [face, trunk, limb]
    label: Body site
  - name: smoker
    kind: boolean
    values: ["False", "True"]
    aliases: {"no": "False", "yes": "True"}
    label: Smoker
    group: patient
"""


def write_clinic(root: Path, n: int = 40) -> Path:
    """clinic.csv (photo, diagnosis, patient, age, site, smoker, biopsied) and photos/; half the photo cells name
    the file, half only its id."""
    lines = ["photo,diagnosis,patient,age,site,smoker,biopsied"]
    for i in range(n):
        malignant = i % 3 == 0
        photo = f"img{i:03d}" + (".jpg" if i % 2 else "")
        age = "" if i % 9 == 4 else str(30 + i)
        lines.append(
            f"{photo},{'malignant' if malignant else 'benign'},P{i % 14},{age},{('face', 'trunk', 'limb')[i % 3]},"
            f"{('yes', 'no')[i % 2]},{'yes' if malignant else 'no'}"
        )
        _photo(root / "photos" / f"img{i:03d}.jpg", 200 if malignant else 50)
    (root / "clinic.csv").write_text("\n".join(lines) + "\n")
    (root / "clinic.yaml").write_text(CLINIC_SCHEMA)
    return root


AXE_VERSION = "4.14.1"  # package.json pins the same version; package-lock.json its checksum


def axe_source() -> str:
    """axe-core's browser script from node_modules, installed from package-lock.json with `npm ci` when missing."""
    script = ROOT / "node_modules" / "axe-core" / "axe.min.js"
    if not script.is_file():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=ROOT, check=True, timeout=300)
    source = script.read_text()
    if f"axe v{AXE_VERSION}" not in source[:200]:
        raise RuntimeError(f"{script} is not axe-core {AXE_VERSION}: run `npm ci`")
    return source


# Float32 results of one network on two x86 CPUs differ by the order in which their kernels (AVX2, AVX-512, ...)
# sum: about 1e-6 of the values' scale per layer, a few 1e-5 after a deep network. A retrained or changed model
# moves them by 1e-2 of the scale or more, so 1e-3 of the scale catches every real change and no kernel's rounding.
FLOAT32_KERNEL_TOLERANCE = 1e-3


def assert_same_up_to_float32_kernels(got: np.ndarray, expected: np.ndarray) -> None:
    """`got` equals `expected` up to the rounding of float32 arithmetic on another CPU, relative to their scale."""
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape, (got.shape, expected.shape)
    scale = max(float(np.abs(expected).max(initial=0.0)), 1e-12)
    worst = float(np.abs(got - expected).max(initial=0.0))
    assert worst <= FLOAT32_KERNEL_TOLERANCE * scale, (
        f"differs by {worst:.3g}, over {FLOAT32_KERNEL_TOLERANCE} x {scale:.3g}"
    )


def read_batch_output(path: Path):
    """A batch prediction's output CSV as text, each cell as written (an empty cell as "")."""
    return pd.read_csv(path, dtype=str, keep_default_na=False)


def check_batch_resumes(batch, source: Path, table, done: int, tmp_path: Path, cut_off: str = "") -> None:
    """Predict `source` (the CSV of `table`) afresh, then its first `done` rows into another output (followed by
    `cut_off`, the half row a run killed while writing leaves), then all of it into that one: the resumed output must
    equal the fresh one, and a third run must skip every row and write none."""
    fresh, half, resumed = tmp_path / "fresh.csv", tmp_path / "half.csv", tmp_path / "resumed.csv"
    batch.predict_csv(source, fresh, batch_size=3)
    table.iloc[:done].to_csv(half, index=False)
    batch.predict_csv(half, resumed, batch_size=3)
    with resumed.open("a") as file:
        file.write(cut_off)
    summary = batch.predict_csv(source, resumed, batch_size=3)
    assert summary.skipped == done and summary.written == len(table) - done
    pd.testing.assert_frame_equal(read_batch_output(resumed), read_batch_output(fresh))
    again = batch.predict_csv(source, resumed, batch_size=3)
    assert (again.skipped, again.written) == (len(table), 0)
    assert len(read_batch_output(resumed)) == len(table)


@contextmanager
def checked_page(browser, url: str, width: int = 1400, timeout_ms: int = 60_000) -> Iterator:
    """A new Chromium page on `url` (1000 px high), closed on exit, which then fails the test if the page raised a
    JavaScript error."""
    page = browser.new_page(viewport={"width": width, "height": 1000})
    page.set_default_timeout(timeout_ms)
    errors = []
    page.on("pageerror", lambda error: errors.append(error.message))
    page.goto(url)
    yield page
    page.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"


# A checkpoint with two photo views per case (docs/two-views.md). The app's tests run on the bundled one once it
# exists, otherwise on `write_two_view_checkpoint`'s tiny random one.
TWO_VIEW_DEMO = ROOT / "assets" / "demo-two-views"
TWO_VIEWS = ("clinical", "dermoscopic")
TWO_VIEW_TINY = {"backbone": "mobilenetv3_small_050", "image_size": 32, "token_dim": 16, "num_heads": 2,
                 "expert_hidden": 16}  # fmt: skip
TWO_VIEW_EXAMPLES = (  # name, record, label
    ("nevus_1", {"sex": "female", "location": "back", "elevation": "flat"}, "NEV"),
    ("melanoma_1", {"sex": "male", "location": "lower limbs"}, "MEL"),
)


def write_two_view_checkpoint(folder: Path, variant: str = "mhdf") -> Path:
    """An untrained Derm7pt checkpoint of `variant` reading a clinical close-up and a dermoscopic image, with a model
    card and two example cases, each with both photos (`mhdf.inference.checkpoint.write_example`)."""
    torch.manual_seed(0)
    config = MHDFConfig(
        schema_name="derm7pt", num_classes=5, image_views=list(TWO_VIEWS), variant=variant, **TWO_VIEW_TINY
    )
    MHDFNet(config).save_pretrained(folder)
    write_model_card(folder, {"name": "tiny-two-views", "training_data": "random initialisation (a test fixture)"})
    rng = np.random.default_rng(0)
    for name, record, label in TWO_VIEW_EXAMPLES:
        photos = {}
        for view in TWO_VIEWS:
            photos[view] = folder / f"{name}_{view}_source.png"
            Image.fromarray(rng.integers(0, 255, (48, 48, 3), dtype=np.uint8)).save(photos[view])
        write_example(folder, name, photos, record, label)
        for photo in photos.values():
            photo.unlink()
    return folder
