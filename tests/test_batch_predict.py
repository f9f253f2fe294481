"""Batch prediction of a CSV of cases (`mhdf.inference.batch`, `mhdf-predict --csv`): the column contract, bad rows,
resuming, and the command line."""

import shutil
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from mhdf.inference.batch import BatchPredictor, lookalike_columns, output_columns, quality_cell
from tests.helpers import ROOT, SYNTHETIC_CHECKPOINT, check_batch_resumes, read_batch_output

BAD_ROWS = {  # image -> (extra cells, what the row's error must name)
    "missing.png": ({}, "missing.png"),
    "corrupt.png": ({}, "corrupt.png"),
    "old.png": ({"age": "400"}, "age"),
    "moon.png": ({"region": "MOON"}, "region"),
    "../outside.png": ({}, "outside"),
}


@pytest.fixture(scope="module")
def cases(examples, tmp_path_factory):
    """A folder of photos and a CSV: the six bundled examples (good rows) interleaved with one bad row of each kind,
    and a `note` column to carry through."""
    root = tmp_path_factory.mktemp("batch")
    images = root / "images"
    images.mkdir()
    rows = []
    for example, (bad, (cells, _)) in zip(examples, BAD_ROWS.items(), strict=False):
        shutil.copyfile(example.image, images / example.image.name)
        rows.append({"image": example.image.name, "note": f"case {example.name}, kept", **example.metadata})
        rows.append({"image": bad, "note": "", **cells})
    shutil.copyfile(examples[-1].image, images / examples[-1].image.name)
    rows.append({"image": examples[-1].image.name, "note": "last", **examples[-1].metadata})
    for name in ("old.png", "moon.png"):
        shutil.copyfile(examples[0].image, images / name)
    photo = examples[0].image.read_bytes()
    (images / "corrupt.png").write_bytes(photo[: len(photo) // 2])  # cut off in the middle of its pixel data
    shutil.copyfile(examples[0].image, root / "outside.png")  # present, but not under the images folder
    table = pd.DataFrame(rows).fillna("")
    table.to_csv(root / "cases.csv", index=False)
    return root, images, table


def test_output_has_one_row_per_input_row_with_the_contract_columns(predictor, examples, cases, tmp_path):
    root, images, table = cases
    summary = BatchPredictor(predictor, images).predict_csv(root / "cases.csv", tmp_path / "out.csv", batch_size=4)
    out = read_batch_output(tmp_path / "out.csv")
    classes = list(predictor.config.class_names)
    expected = [*table.columns, "prediction", *(f"p_{c}" for c in classes)]
    assert list(out.columns) == [*expected, "prediction_set", "in_distribution", "ood_score", "error", "quality"]
    assert list(out.columns) == [*table.columns, *output_columns(classes)]
    assert len(out) == len(table) == summary.total
    pd.testing.assert_frame_equal(out[table.columns], table)  # the input's cells, untouched
    assert (summary.predicted, summary.failed, summary.skipped) == (len(examples), len(BAD_ROWS), 0)

    by_image = {example.image.name: example for example in examples}
    for row in out.to_dict("records"):
        if row["image"] in BAD_ROWS:
            assert BAD_ROWS[row["image"]][1] in row["error"]
            assert row["prediction"] == row["p_BCC"] == row["prediction_set"] == row["quality"] == ""
            continue
        assert row["error"] == ""
        example = by_image[row["image"]]
        single = predictor.predict(example.image, example.metadata)
        probabilities = np.array([float(row[f"p_{c}"]) for c in classes])
        np.testing.assert_allclose(probabilities, single.probabilities, atol=2e-6)
        assert row["prediction"] == single.prediction
        assert row["quality"] == quality_cell(single.quality) != ""
        assert row["prediction_set"].split("|") == single.prediction_set
        assert row["in_distribution"] == str(single.in_distribution)
        assert float(row["ood_score"]) == pytest.approx(single.ood["score"], abs=2e-6)


def test_a_resumed_run_skips_rows_already_written(predictor, cases, tmp_path):
    root, images, table = cases
    # the sixth row cut off in the middle, as a run killed while writing it leaves it
    cut_off = f"{table['image'].iloc[5]},half a ro"
    check_batch_resumes(BatchPredictor(predictor, images), root / "cases.csv", table, 5, tmp_path, cut_off)


def test_inputs_that_cannot_be_predicted_are_refused(predictor, cases, tmp_path):
    root, images, table = cases
    batch = BatchPredictor(predictor, images)
    for columns, message in (({"image": "photo"}, "'image' column"), ({"note": "prediction"}, "prediction")):
        bad = tmp_path / "bad.csv"
        table.rename(columns=columns).to_csv(bad, index=False)
        with pytest.raises(ValueError, match=message):
            batch.predict_csv(bad, tmp_path / "never.csv")
        assert not (tmp_path / "never.csv").exists()
    other = tmp_path / "other.csv"
    other.write_text("image,something\nx.png,1\n")
    with pytest.raises(ValueError, match="other columns"):
        batch.predict_csv(root / "cases.csv", other)


def test_columns_that_look_like_fields_are_warned_about(predictor, cases, tmp_path):
    root, images, table = cases
    schema = predictor.schema
    assert lookalike_columns(["Age", "fitzpatrick", "note", "region", "Region"], schema) == {
        "Age": "age",
        "fitzpatrick": "fitspatrick",
    }
    misnamed = tmp_path / "misnamed.csv"
    table.rename(columns={"age": "Age"}).to_csv(misnamed, index=False)
    heard = []
    summary = BatchPredictor(predictor, images).predict_csv(misnamed, tmp_path / "out.csv", warn=heard.append)
    assert heard == summary.warnings and len(heard) == 1 and "'Age'" in heard[0] and "'age'" in heard[0]
    assert read_batch_output(tmp_path / "out.csv")["Age"].tolist() == table["age"].tolist()  # carried through as it was


@pytest.mark.slow
def test_command_line_predicts_a_csv_and_resumes(cases, tmp_path):
    root, images, table = cases
    out = tmp_path / "predictions.csv"
    command = [sys.executable, "-m", "mhdf.predict", "--csv", root / "cases.csv", "--images", images, "--out", out]
    command += ["--checkpoint", SYNTHETIC_CHECKPOINT, "--device", "cpu", "--batch-size", "4"]
    first = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert first.returncode == 0, first.stderr
    assert f"{len(table)} of {len(table)} rows" in first.stderr and first.stdout == ""
    second = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert second.returncode == 0 and f"0 of {len(table)} rows" in second.stderr
    assert len(read_batch_output(out)) == len(table)
    lacking = subprocess.run(command[:5] + command[-6:], capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert lacking.returncode == 2 and "--images" in lacking.stderr


def test_a_metadata_only_checkpoint_names_rows_by_the_image_column_and_resumes(tmp_path):
    from mhdf import MHDFConfig, MHDFNet
    from mhdf.inference import Predictor

    MHDFNet(MHDFConfig(variant="meta-only", token_dim=16, num_heads=2, expert_hidden=16)).save_pretrained(tmp_path)
    batch = BatchPredictor(Predictor.from_pretrained(tmp_path, device="cpu"), tmp_path)
    table = pd.DataFrame({"image": [f"case_{i}" for i in range(7)], "age": [str(40 + i) for i in range(7)]})
    table.to_csv(tmp_path / "cases.csv", index=False)
    check_batch_resumes(batch, tmp_path / "cases.csv", table, done=3, tmp_path=tmp_path)  # whole batches of 3
    table.drop(columns="image").to_csv(tmp_path / "unnamed.csv", index=False)
    with pytest.raises(ValueError, match="the CSV has no 'image' column"):
        batch.predict_csv(tmp_path / "unnamed.csv", tmp_path / "unnamed.out.csv")
