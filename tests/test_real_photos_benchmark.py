"""benchmarks.real_photos' report: per-fold figures, their mean and spread, and the figures over every fold's test
photos pooled, from constructed predictions whose answers are known."""

import numpy as np
import pytest

from benchmarks.real_photos import get_args_parser, markdown_table, scored, summary

CLASSES = ("ACK", "BCC", "MEL")


def fold(labels, predicted):
    probabilities = np.full((len(labels), 3), 0.1)
    probabilities[np.arange(len(labels)), predicted] = 0.8
    return scored(np.array(labels), probabilities, CLASSES)


def test_the_summary_pools_every_folds_test_photos_and_counts_recall_over_them():
    folds = [fold([0, 1, 2, 2], [0, 1, 2, 0]), fold([0, 0, 1, 2], [0, 1, 1, 2])]
    result = summary(folds, CLASSES)
    assert result["recall"] == {
        "ACK": {"correct": 2, "photos": 3},
        "BCC": {"correct": 2, "photos": 2},
        "MEL": {"correct": 2, "photos": 3},
    }
    pooled_recall = np.mean([2 / 3, 2 / 2, 2 / 3])
    assert result["pooled"]["balanced_accuracy"] == pytest.approx(pooled_recall) and result["pooled"]["photos"] == 8
    per_fold = [np.mean([1, 1, 0.5]), np.mean([0.5, 1, 1])]
    assert result["balanced_accuracy"]["mean"] == pytest.approx(np.mean(per_fold))
    assert result["balanced_accuracy"]["std"] == pytest.approx(np.std(per_fold, ddof=1))
    table = markdown_table({"models": {"mhdf": {"summary": result}}}, CLASSES)
    assert f"| `mhdf` | {pooled_recall:.3f} |" in table and "0.67 (2/3)" in table


def test_the_folds_to_run_are_chosen_among_the_five():
    parser = get_args_parser()
    assert parser.parse_args(["--photos", "p", "--work", "w"]).folds == [0, 1, 2, 3, 4]
    assert parser.parse_args(["--photos", "p", "--work", "w", "--folds", "4", "3"]).folds == [4, 3]
    with pytest.raises(SystemExit):
        parser.parse_args(["--photos", "p", "--work", "w", "--folds", "5"])
