"""Every dataset source, as downloaded, and what keeps its splits honest.

registry      the one table of loaders by `--dataset` name, and their command-line options
base          Sample, LesionSource, LesionDataset: what every loader produces
pad_ufes_20   PAD-UFES-20 (its metadata table is bundled here: pad_ufes_20_metadata.csv)
derm7pt       Derm7pt release_v0
isic          ISIC 2019, ISIC 2020, HAM10000 and the ISIC Archive
csv_table     a clinic's own CSV, described by a schema file
tables        what the one-table loaders share
views         two photos per case
folds         patient-grouped, class-stratified folds
leakage       columns that give the label away, and the doctor's test for them
licenses      under what terms each dataset may be copied
"""
