"""training.clinical_records and `training.train --clinical-pretrain --clinical-records`: the records without a photo
that a run reads are the training patients' only, each with a random training photo, and a run trains on them."""

import json
import shutil

import pandas as pd
import pytest
import torch
from torch.utils.data import TensorDataset

from tests.helpers import train_tiny
from training.clinical_records import RecordsWithRandomPhotos, photo_epoch_set, records_dataset, training_records
from training.data.pad_ufes_20 import PadUfes20


@pytest.fixture
def photos_with_gaps(synthetic_data, tmp_path):
    """The synthetic PAD-UFES-20 folder with every fourth row's photo removed: those rows are clinical-only."""
    photos = tmp_path / "photos"
    shutil.copytree(synthetic_data, photos)
    table = pd.read_csv(photos / "metadata.csv", dtype=str, keep_default_na=False)
    for img_id in table["img_id"].iloc[::4]:
        next(photos.rglob(img_id)).unlink()
    return photos


def test_only_the_training_patients_records_without_a_photo_are_read(photos_with_gaps):
    source = PadUfes20(photos_with_gaps)
    split = source.split(0, num_folds=5, seed=0, val_fraction=0.2)
    records = training_records(source, split)
    kept_out = {source.samples[i].patient for i in (*split.val, *split.test)}
    trained = {source.samples[i].patient for i in split.train}
    assert records and all(record.image_path is None or not record.image_path.exists() for record in records)
    assert not {record.patient for record in records} & kept_out
    # every clinical-only record of a training patient, or of a patient without any photo, is read
    expected = [s for s in source.clinical_only if s.patient in trained or s.patient not in kept_out]
    assert [r.image_id for r in records] == [s.image_id for s in expected]


def test_each_record_reads_a_random_training_photo_and_its_own_label():
    photos = TensorDataset(torch.arange(5.0)[:, None], torch.zeros(5), torch.zeros(5))
    records = RecordsWithRandomPhotos(torch.eye(3), torch.tensor([2, 0, 1]), photos)
    torch.manual_seed(0)
    drawn = [records[1] for _ in range(200)]
    assert {float(photo) for photo, _, _ in drawn} == {0.0, 1.0, 2.0, 3.0, 4.0}
    assert all(torch.equal(metadata, torch.eye(3)[1]) and label == 0 for _, metadata, label in drawn)
    photo, metadata, label = RecordsWithRandomPhotos(torch.eye(3), torch.tensor([2, 0, 1]), None)[0]
    assert photo.numel() == 0 and label == 2
    with pytest.raises(ValueError, match="at least one training photo"):
        RecordsWithRandomPhotos(torch.eye(3), torch.tensor([2, 0, 1]), TensorDataset(torch.zeros(0)))


def test_a_photo_epoch_draws_ratio_times_the_photos_of_records_anew_each_epoch(photos_with_gaps):
    source = PadUfes20(photos_with_gaps)
    records = records_dataset(source, source.clinical_only, None)
    photos = TensorDataset(torch.zeros(4, 1), torch.zeros(4), torch.zeros(4))
    epoch0 = photo_epoch_set(photos, records, 2.0, seed=0, epoch=0)
    epoch1 = photo_epoch_set(photos, records, 2.0, seed=0, epoch=1)
    assert len(epoch0) == 4 + 8
    drawn0, drawn1 = epoch0.datasets[1].indices, epoch1.datasets[1].indices
    assert len(set(drawn0)) == 8 and drawn0 != drawn1
    assert photo_epoch_set(photos, records, 2.0, seed=0, epoch=0).datasets[1].indices == drawn0
    assert len(photo_epoch_set(photos, records, 1000.0, seed=0, epoch=0)) == 4 + len(records)
    assert photo_epoch_set(photos, records, 0.0, seed=0, epoch=0) is photos


@pytest.mark.slow
def test_a_run_pretrains_on_the_records_then_mixes_them_into_the_photo_epochs(photos_with_gaps, tmp_path, capsys):
    options = ("--epochs", "2", "--clinical-pretrain", "2", "--clinical-records", "1")
    train_tiny(photos_with_gaps, tmp_path / "run", *options, "--freeze-stages", "1", "--cache-views", "2")
    printed = capsys.readouterr().out
    assert "clinical records without a photo" in printed and "clinical pretraining:" in printed
    log = pd.read_csv(tmp_path / "run" / "log.csv")
    assert len(log) == 2 and log["train_loss"].notna().all()
    assert json.loads((tmp_path / "run" / "args.json").read_text())["clinical_pretrain"] == 2
    train_tiny(photos_with_gaps, tmp_path / "meta", *options, "--variant", "meta-only")
    assert (tmp_path / "meta" / "best" / "model.safetensors").is_file()
    with pytest.raises(ValueError, match="the image-only variant reads no record"):
        train_tiny(photos_with_gaps, tmp_path / "refused", *options, "--variant", "image-only")
