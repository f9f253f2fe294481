"""`python -m benchmarks.gradcam_masks`: Grad-CAM against the lesion masks of the real photos. The checks that need
the photos read `../shared/data/pad-ufes-20-photos` and are skipped, naming that folder, where it is absent."""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from benchmarks import gradcam_masks
from mhdf.inference.checkpoint import DEFAULT_CHECKPOINT, read_model_card
from training.data.pad_ufes_20 import PadUfes20, read_heldout_patients

PHOTOS = gradcam_masks.PHOTOS
needs_shared_photos = pytest.mark.skipif(
    not (PHOTOS / gradcam_masks.PHOTOS_TABLE).is_file(),
    reason=f"the real photos and their masks are not at {PHOTOS} (the project's shared folder)",
)


def run(capsys, *argv):
    gradcam_masks.main(gradcam_masks.get_args_parser().parse_args([str(arg) for arg in argv]))
    return capsys.readouterr().out


def test_without_the_photos_it_says_so_in_one_line(tmp_path, capsys):
    out = run(capsys, "--photos", tmp_path / "absent")
    (line,) = out.splitlines()
    assert line.startswith("skipped:") and str(tmp_path / "absent") in line


@pytest.fixture(scope="module")
def source():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return PadUfes20(PHOTOS)


@needs_shared_photos
def test_every_masked_photo_is_read_in_the_checkpoints_own_split(source):
    card = read_model_card(DEFAULT_CHECKPOINT)
    chosen = gradcam_masks.masked_samples(source, PHOTOS, card)
    table = pd.read_csv(PHOTOS / gradcam_masks.PHOTOS_TABLE)
    masked = table[table["lesion_mask"]]
    hidden = read_heldout_patients(PHOTOS)
    ids = [source.samples[i].image_id for i, _ in chosen]
    assert sorted(ids) == sorted(masked.loc[~masked["patient_id"].isin(hidden), "img_id"])
    assert not {source.samples[i].patient for i, _ in chosen} & hidden
    evaluation = card["evaluation"]
    test = set(source.split(evaluation["fold"], num_folds=evaluation["num_folds"], seed=evaluation["split_seed"]).test)
    assert {i for i, split in chosen if split == "test"} == test & {i for i, _ in chosen}
    assert {split for _, split in chosen} == set(gradcam_masks.SPLITS)


@needs_shared_photos
def test_the_benchmark_measures_the_held_out_masked_photos(source, tmp_path, capsys):
    out = run(capsys, "--figure", tmp_path / "figure.png")
    card = read_model_card(DEFAULT_CHECKPOINT)["evaluation"]
    test = source.split(card["fold"], num_folds=card["num_folds"], seed=card["split_seed"]).test
    masked = set(pd.read_csv(PHOTOS / gradcam_masks.PHOTOS_TABLE).query("lesion_mask")["img_id"])
    held_out = sum(source.samples[i].image_id in masked for i in test)
    tables = out.split("Every masked photo")
    all_rows = re.findall(r"^\| all \| (\d+) \| ([\d.]+) \| ([\d.]+) \| ([\d.]+) \|", out, flags=re.MULTILINE)
    assert [int(n) for n, *_ in all_rows] == [held_out, len(masked)]
    assert f"| all | {held_out} |" in tables[0]
    for _, *shares in all_rows:
        assert all(0 <= float(share) <= 1 for share in shares)
    assert re.search(r"Gaussian sigma [\d.]+ px", out)
    figure = Image.open(tmp_path / "figure.png")
    assert figure.format == "PNG" and np.asarray(figure).std() > 0
