"""The figures' text alternatives say what each figure shows for the case, in both languages, and every colour
that carries meaning stays distinguishable to red-green and blue-yellow colour-blind readers."""

import itertools

import numpy as np
import pytest
import torch

from mhdf.app.alt_text import cam_region
from mhdf.app.figures import COMPARISON_COLORS, effect_colors, lc_path_colors
from mhdf.app.views import diagnose_case


@pytest.mark.parametrize("lang", ["en", "pt-BR"])
def test_the_figures_in_words_carry_the_cases_numbers(predictor, examples, lang):
    example = examples[0]
    with torch.inference_mode():
        views = diagnose_case(predictor, example.image, example.metadata, lang)
    text = views["figure_text"]
    prediction = predictor.predict(example.image, example.metadata)
    gm = prediction.trace.gm_gate[0].numpy()
    assert f"{100 * gm.max():.0f} %" in text
    fused = prediction.trace.lc_gate[0].numpy()[:, 1]
    for weight in fused:
        assert f"{100 * weight:.0f} %" in text
    assert f"({prediction.prediction})" in text
    lines = [line for line in text.splitlines() if line.startswith("- ")]
    assert len(lines) == 2 + predictor.config.num_fused_stages + 2  # gates, TKCA per stage, Grad-CAM, modality


def test_the_two_languages_describe_the_same_numbers(predictor, examples):
    with torch.inference_mode():
        english, portuguese = (
            diagnose_case(predictor, examples[1].image, {}, lang)["figure_text"] for lang in ("en", "pt-BR")
        )
    assert english != portuguese
    numbers = lambda text: sorted(part for part in text.split() if part.rstrip(",.;:").isdigit())  # noqa: E731
    assert numbers(english) == numbers(portuguese)


def test_cam_region_names_the_third_where_the_map_peaks():
    cam = np.zeros((9, 9))
    cam[0, 8] = 1
    assert cam_region(cam) == "top right"
    cam[8, 0] = 2
    assert cam_region(cam, "pt-BR") == "inferior esquerda"


# Machado, Oliveira & Fernandes (2009) at full severity, on linear RGB.
CVD = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}


def _lab(hex_color: str, matrix=None) -> np.ndarray:
    srgb = np.array([int(hex_color.lstrip("#")[i : i + 2], 16) / 255 for i in (0, 2, 4)])
    linear = np.where(srgb <= 0.04045, srgb / 12.92, ((srgb + 0.055) / 1.055) ** 2.4)
    if matrix is not None:
        linear = np.clip(np.asarray(matrix) @ linear, 0, 1)
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    xyz /= np.array([0.9505, 1.0, 1.089])
    f = np.where(xyz > 216 / 24389, np.cbrt(xyz), (24389 / 27 * xyz + 16) / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


@pytest.mark.parametrize(
    "palette", [lc_path_colors(), effect_colors(), dict(enumerate(COMPARISON_COLORS))], ids=["lc", "effect", "compare"]
)
def test_meaningful_colours_stay_apart_for_colour_blind_readers(palette):
    for (name_a, a), (name_b, b) in itertools.combinations(palette.items(), 2):
        for vision, matrix in [("normal", None), *CVD.items()]:
            distance = np.linalg.norm(_lab(a, matrix) - _lab(b, matrix))
            assert distance > 20, f"{name_a} {a} and {name_b} {b} are {distance:.1f} apart in CIELAB ({vision})"


def test_a_red_green_pair_would_fail():
    """The check can fail: a plain red and green merge for a deuteranope."""
    merged = np.linalg.norm(_lab("#ff0000", CVD["deuteranopia"]) - _lab("#00a000", CVD["deuteranopia"]))
    assert merged < 20
