"""Clinical records without a photo in the training of a fused model (`training.train --clinical-pretrain E
--clinical-records R`).

PAD-UFES-20 has 2,298 clinical records; a folder may hold photos for only some of them (the project's shared subset:
331). The clinical pathway learns from every record, the image pathway from the photos:

* **pretraining** (`--clinical-pretrain E`): E epochs over every record of the training patients, those with a photo
  and those without, before the photo epochs;
* **mixing** (`--clinical-records R`): each photo epoch also reads R x (number of training photos) records without
  a photo, drawn anew each epoch, so the photo epochs do not wash out what the records taught.

A model that reads a photo reads each such record with **a random training photo**: a photo of another case, whose
content says nothing about this record's label. The model thus learns what the record alone tells while it sees
real photo statistics. A blank photo instead would teach it a clinical pathway tuned to a constant image, which a
real photo then knocks off course: on 5 patient-grouped folds of the shared photos, pairing with a blank photo gave
balanced accuracy 0.628 and a random photo 0.667 (docs/results.md, "How the recipe was chosen").

Only the training patients' records are read: a validation or test patient's record never is, with or without a
photo (`training_records`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import ConcatDataset, Dataset, Subset

from training.data.base import LesionSource, Sample, Split
from training.engine import epoch_seed


def training_records(source: LesionSource, split: Split) -> list[Sample]:
    """The records of `source` without a photo (`LesionSource.clinical_only`) whose patient is no validation or test
    photo's patient."""
    kept_out = {source.samples[i].patient for i in (*split.val, *split.test)}
    return [sample for sample in source.clinical_only if sample.patient not in kept_out]


class RecordsWithRandomPhotos(Dataset):
    """(photo, metadata, label) items of clinical records, each read with a random item's photo of `photos`
    (a training-photo dataset: decoded and augmented photos, or cached maps); `photos` None: an empty image, as
    `training.engine.MetadataOnly` gives a model that reads no photo.

    records: (N, F) encoded metadata; labels: (N,) int64.
    """

    def __init__(self, records: torch.Tensor, labels: torch.Tensor, photos: Dataset | None) -> None:
        if photos is not None and len(photos) == 0:
            raise ValueError("pairing clinical records with random photos needs at least one training photo")
        self.records, self.labels, self.photos = records, labels, photos

    def __len__(self) -> int:
        return len(self.records)

    def __getitem__(self, index: int) -> tuple:
        if self.photos is None:
            return torch.empty(0), self.records[index], int(self.labels[index])
        photo = self.photos[int(torch.randint(len(self.photos), ()))][0]
        return photo, self.records[index], int(self.labels[index])


def records_dataset(source: LesionSource, samples: list[Sample], photos: Dataset | None) -> RecordsWithRandomPhotos:
    """`samples`' records encoded with the source's schema, read with random photos of `photos`."""
    records = torch.from_numpy(source.schema.encode_batch([sample.record for sample in samples]))
    labels = torch.tensor([sample.label for sample in samples], dtype=torch.long)
    return RecordsWithRandomPhotos(records, labels, photos)


def photo_epoch_set(
    photos: Dataset, records: RecordsWithRandomPhotos | None, ratio: float, seed: int, epoch: int
) -> Dataset:
    """One photo epoch's training set: every training photo, and `ratio` x as many records without a photo, drawn
    without replacement (all of them when there are fewer), by a generator of the run's seed and the epoch."""
    if records is None or ratio <= 0 or len(records) == 0:
        return photos
    count = min(len(records), round(ratio * len(photos)))
    generator = np.random.default_rng(epoch_seed(seed, epoch, 0))
    drawn = generator.choice(len(records), size=count, replace=False)
    return ConcatDataset([photos, Subset(records, drawn.tolist())])
