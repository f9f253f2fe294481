"""The synthetic generator: real PAD-UFES-20 format, determinism, and a design where fusion is needed."""

import re

import numpy as np
import pandas as pd
import pytest
from PIL import Image
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from training.data.pad_ufes_20 import PAD_UFES_20_COLUMNS, PadUfes20
from training.synthetic.photos import (
    LOOK_OF_CLASS,
    MALIGNANT,
    REAL_CLASS_COUNTS,
    SKIN_RGB,
    SOCIO_COLUMNS,
    InventedRecords,
    class_image_counts,
    draw_look,
    draw_view,
    generate,
    get_args_parser,
    main,
    render,
)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory):
    """400 images of 32x32 pixels: enough for several images per lesion and lesions per patient."""
    root = tmp_path_factory.mktemp("synthetic")
    return root, generate(root, 400, seed=7, image_size=32)


def test_writes_the_real_26_columns_spelled_like_the_real_csv(synthetic):
    root, table = synthetic
    raw = pd.read_csv(root / "metadata.csv", dtype=str, keep_default_na=False)
    assert tuple(raw.columns) == PAD_UFES_20_COLUMNS and len(raw) == 400
    assert raw.equals(table)
    assert raw["patient_id"].str.fullmatch(r"PAT_\d+").all() and raw["lesion_id"].str.fullmatch(r"\d+").all()
    assert all(re.fullmatch(rf"{row.patient_id}_{row.lesion_id}_\d+\.png", row.img_id) for row in raw.itertuples())
    assert raw["img_id"].is_unique
    assert set(raw["itch"]) <= {"True", "False", "UNK"} and set(raw["biopsed"]) == {"True", "False"}
    biopsied = raw[raw["biopsed"] == "True"]
    assert biopsied["fitspatrick"].str.fullmatch(r"[1-6]\.0").all()
    assert biopsied["diameter_1"].str.fullmatch(r"\d+\.0").all()
    assert set(biopsied["smoke"]) <= {"True", "False"} and set(biopsied["gender"]) <= {"FEMALE", "MALE"}
    # Non-biopsied rows lack the socio-demographic fields but keep age, region and the symptoms.
    skipped = raw[raw["biopsed"] == "False"]
    assert len(skipped) > 0 and (skipped[list(SOCIO_COLUMNS)] == "").all().all()
    assert (skipped[["age", "region", "itch", "bleed"]] != "").all().all()
    assert (raw.loc[raw["diagnostic"].isin(MALIGNANT), "biopsed"] == "True").all()


def test_images_sit_in_three_parts_and_the_real_loader_reads_them(synthetic):
    root, table = synthetic
    parts = {folder.name: len(list(folder.iterdir())) for folder in (root / "images").iterdir()}
    assert set(parts) == {"imgs_part_1", "imgs_part_2", "imgs_part_3"} and sum(parts.values()) == 400
    source = PadUfes20(root)
    assert source.missing_images == [] and len(source.samples) == 400
    with Image.open(source.samples[0].image_path) as image:
        assert image.size == (32, 32) and image.mode == "RGB"
    assert table.groupby("lesion_id").size().max() > 1  # several photos of one lesion
    assert table.groupby("patient_id")["lesion_id"].nunique().max() > 1  # several lesions of one patient
    assert set(table["diagnostic"]) == set(REAL_CLASS_COUNTS)


def test_same_seed_gives_identical_files_and_another_seed_does_not(tmp_path):
    generate(tmp_path / "a", 12, seed=3, image_size=24)
    generate(tmp_path / "b", 12, seed=3, image_size=24)
    generate(tmp_path / "c", 12, seed=4, image_size=24)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*") if p.is_file())
    assert len(files) == 13
    for relative in files:
        assert (tmp_path / "a" / relative).read_bytes() == (tmp_path / "b" / relative).read_bytes(), relative
    assert (tmp_path / "a" / "metadata.csv").read_bytes() != (tmp_path / "c" / "metadata.csv").read_bytes()


def test_class_counts_follow_the_real_imbalance():
    assert class_image_counts(2298) == REAL_CLASS_COUNTS
    small = class_image_counts(10)
    assert sum(small.values()) == 10 and min(small.values()) == 1
    assert class_image_counts(1000)["BCC"] > class_image_counts(1000)["NEV"] > class_image_counts(1000)["MEL"]


def test_refuses_bad_arguments_and_existing_datasets(synthetic, tmp_path):
    with pytest.raises(ValueError, match="already holds a dataset"):
        generate(synthetic[0], 5, seed=0)
    with pytest.raises(ValueError, match="n must be a positive"):
        generate(tmp_path / "x", 0, seed=0)


def test_command_line(tmp_path, capsys):
    main(get_args_parser().parse_args(["--out", str(tmp_path / "cli"), "--n", "8", "--seed", "1", "--size", "20"]))
    assert "wrote 8 images" in capsys.readouterr().out
    assert len(pd.read_csv(tmp_path / "cli" / "metadata.csv")) == 8


def test_photo_tells_the_look_and_metadata_tells_malignancy_but_neither_tells_both(synthetic):
    """The design that makes fusion necessary, checked with linear probes on each modality."""
    root, table = synthetic
    source = PadUfes20(root)
    classes = np.array(source.classes)[source.labels]
    look = np.array([LOOK_OF_CLASS[cls] for cls in classes])
    malignant = np.isin(classes, sorted(MALIGNANT))
    pixels = np.stack([np.asarray(Image.open(s.image_path), dtype=np.float32) / 255 for s in source.samples])
    centre = pixels[:, 10:22, 10:22].reshape(len(pixels), -1, 3)
    photo = np.concatenate([centre.mean(1), centre.std(1), pixels[:, :4].reshape(len(pixels), -1, 3).mean(1)], 1)
    encoded = source.schema.encode_batch(source.records)
    meta = np.concatenate([np.nan_to_num(encoded, nan=-1.0), np.isnan(encoded)], 1)

    def probe(features, target, where=slice(None)):
        # Grouped by patient: photos of one lesion share their metadata and would leak across folds.
        model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
        groups = source.patients[where]
        scores = cross_val_score(model, features[where], target[where], groups=groups, cv=GroupKFold(4),
                                 scoring="balanced_accuracy")  # fmt: skip
        return scores.mean()

    assert probe(photo, look) > 0.8 and probe(meta, malignant) > 0.8
    # Within a malignancy status the metadata cannot name the look, within a look the photo cannot name
    # the status (comparing whole sets would let the class imbalance carry information across).
    assert probe(meta, look, malignant) < 0.5  # chance is 1/3
    assert probe(photo, malignant, look == "scaly") < 0.7  # chance is 1/2


def photos_of(cls: str, count: int = 80, size: int = 96) -> np.ndarray:
    """(count, size, size, 3) photos of one class with its class's look, on the same skin, in [0, 1]."""
    rng = np.random.default_rng(sum(map(ord, cls)))
    skin = np.array(SKIN_RGB[2])
    photos = []
    while len(photos) < count:
        look = draw_look(cls, rng)
        if look.look == LOOK_OF_CLASS[cls]:  # pairs are compared within their look
            photos.append(np.asarray(render(look, draw_view(rng), skin, size, rng)) / 255.0)
    return np.stack(photos)


def fine_detail(photos: np.ndarray) -> np.ndarray:
    """(N, 3) mean absolute difference between each pixel and its 3x3 neighbourhood, in the photo's centre."""
    centre = photos[:, 24:72, 24:72]
    padded = np.pad(centre, ((0, 0), (1, 1), (1, 1), (0, 0)), mode="edge")
    box = sum(padded[:, i : i + 48, j : j + 48] for i in range(3) for j in range(3)) / 9
    return np.abs(centre - box).mean(axis=(1, 2))


def coarse(photos: np.ndarray, factor: int = 4) -> np.ndarray:
    """Average-pooled by `factor`: what a network's later, lower-resolution stages are left with."""
    n, size = len(photos), photos.shape[1] // factor
    return photos.reshape(n, size, factor, size, factor, 3).mean(axis=(2, 4))


def shape(photos: np.ndarray) -> np.ndarray:
    """(N, 3) lesion area, elongation and lopsidedness of a pigmented lesion: the pixels far darker than the skin."""
    brightness = photos.mean(axis=-1)
    skin = np.median(brightness[:, :, :6], axis=(1, 2))
    mask = brightness < 0.7 * skin[:, None, None]
    features = []
    for lesion in mask:
        rows, cols = np.nonzero(lesion)
        eigen = np.linalg.eigvalsh(np.cov(np.stack([rows, cols])))
        centre = np.array([rows.mean(), cols.mean()])
        radii = np.linalg.norm(np.stack([rows, cols], 1) - centre, axis=1)
        features.append([lesion.mean(), eigen[0] / eigen[1], radii.std() / radii.mean()])
    return np.array(features)


def separable(features: dict[str, np.ndarray]) -> float:
    """Cross-validated balanced accuracy of a linear probe telling the two classes apart."""
    (_, first), (_, second) = features.items()
    x, y = np.concatenate([first, second]), np.repeat([0, 1], [len(first), len(second)])
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=2000))
    return cross_val_score(model, x, y, cv=4, scoring="balanced_accuracy").mean()


def test_each_pair_is_told_apart_at_its_own_scale():
    """SEK vs BCC by fine texture only, MEL vs NEV by global shape, ACK vs SCC not at all by the photo."""
    photos = {cls: photos_of(cls) for cls in ("SEK", "BCC", "MEL", "NEV", "ACK", "SCC")}
    colour = {cls: p[:, 24:72, 24:72].mean(axis=(1, 2)) for cls, p in photos.items()}
    waxy = ("SEK", "BCC")
    assert separable({c: fine_detail(photos[c]) for c in waxy}) > 0.8
    assert separable({c: colour[c] for c in waxy}) < 0.7  # the texture leaves the mean colour alone
    # four times coarser, as in a late stage, the texture is gone
    assert separable({c: fine_detail(np.repeat(np.repeat(coarse(photos[c]), 4, 1), 4, 2)) for c in waxy}) < 0.7
    pigmented = ("MEL", "NEV")
    assert separable({c: shape(photos[c]) for c in pigmented}) > 0.8
    assert separable({c: fine_detail(photos[c]) for c in pigmented}) < 0.7
    scaly = ("ACK", "SCC")
    spread = {cls: p[:, 24:72, 24:72].std(axis=(1, 2)) for cls, p in photos.items()}
    everything = {c: np.hstack([colour[c], spread[c], fine_detail(photos[c])]) for c in scaly}
    assert separable(everything) < 0.65


def test_the_records_come_from_a_swappable_source(tmp_path):
    """The photos depend on the class and the skin type only, so another record source leaves them alone."""

    class QuietRecords(InventedRecords):
        def lesion(self, cls, patient, rng):
            return {**super().lesion(cls, patient, rng), "bleed": "UNK", "itch": "UNK"}

    plain = generate(tmp_path / "plain", 30, seed=3, image_size=32)
    quiet = generate(tmp_path / "quiet", 30, seed=3, image_size=32, records=QuietRecords())
    assert set(quiet["bleed"]) == {"UNK"} and set(plain["bleed"]) != {"UNK"}
    for img_id in plain["img_id"]:
        first = next((tmp_path / "plain" / "images").rglob(img_id)).read_bytes()
        assert first == next((tmp_path / "quiet" / "images").rglob(img_id)).read_bytes()


def test_one_synthetic_photo_per_real_record_keeps_every_record_and_patient_whole(tmp_path):
    from training.data.folds import leaking_patients
    from training.data.pad_ufes_20 import PAD_UFES_20_METADATA, PadUfes20
    from training.synthetic.photos import generate_for_records

    real = pd.read_csv(PAD_UFES_20_METADATA, dtype=str, keep_default_na=False)
    patients = real["patient_id"].drop_duplicates().sample(40, random_state=0)
    subset = real[real["patient_id"].isin(patients)].reset_index(drop=True)
    generate_for_records(tmp_path / "data", subset, seed=1, image_size=32)
    written = pd.read_csv(tmp_path / "data" / "metadata.csv", dtype=str, keep_default_na=False)
    pd.testing.assert_frame_equal(written, subset)  # every clinical value and id is the real one
    source = PadUfes20(tmp_path / "data")
    assert len(source.samples) == len(subset) and not source.missing_images
    assert [source.classes[label] for label in source.labels] == subset["diagnostic"].tolist()
    assert leaking_patients(source.patients, source.folds(5, 0)) == []
    again = tmp_path / "again"
    generate_for_records(again, subset, seed=1, image_size=32)
    first = sorted((tmp_path / "data" / "images").rglob("*.png"))
    assert [p.read_bytes() for p in first] == [(again / p.relative_to(tmp_path / "data")).read_bytes() for p in first]
    with pytest.raises(ValueError, match="already holds a dataset"):
        generate_for_records(again, subset, seed=1, image_size=32)
