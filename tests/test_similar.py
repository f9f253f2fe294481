"""Similar held-out cases without a server: the exact search against a brute-force oracle, the index file, the
bundled index, a checkpoint without one (or with a stale one), and the app's view and handlers."""

import io
import math
import re
import shutil

import gradio as gr
import numpy as np
import pytest
from PIL import Image

from mhdf.app.form import form_from_record
from mhdf.app.session import DemoSession, SessionParts, load_session, served_handlers
from mhdf.app.similar import signature_from_view, similar_cases_html
from mhdf.app.texts import similar_summary
from mhdf.app.uploads import UploadPolicy
from mhdf.app.views import SIMILAR_QUERY
from mhdf.inference.checkpoint import (
    MODEL_FILES,
    SIMILAR_CASES_NAME,
    read_routing_atlas,
    read_similar_cases,
    write_similar_cases,
)
from mhdf.inference.similar import (
    DEFAULT_NEIGHBOURS,
    MAX_NEIGHBOURS,
    SIMILARITY,
    THUMBNAIL_SIZE,
    CaseSignature,
    IndexSource,
    SimilarCaseIndex,
    build_index,
)
from tests.helpers import SYNTHETIC_CHECKPOINT
from training import demo_bundle

CLASSES = ["ACK", "BCC", "MEL", "NEV", "SCC", "SEK"]
SOURCE = IndexSource("pad-ufes-20", "test", "somewhere", "synthetic photos", True)


def random_index(n=150, stages=4, experts=4, dim=16, seed=0, photos=3) -> SimilarCaseIndex:
    """Random gates and features; the first `photos` cases have a (random) photo, the rest none."""
    rng = np.random.default_rng(seed)
    images = [rng.integers(0, 256, (120, 80, 3), dtype=np.uint8) for _ in range(photos)]
    return build_index(
        cases=[f"case_{i}.png" for i in range(n)],
        classes=CLASSES,
        lc_gate=rng.dirichlet(np.ones(2), size=(n, stages)),
        gm_gate=rng.dirichlet(np.ones(experts), size=n),
        features=rng.normal(size=(n, dim)),
        labels=rng.integers(0, len(CLASSES), n),
        predicted=rng.integers(0, len(CLASSES), n),
        photos=[*images, *[None] * (n - photos)],
        source=SOURCE,
    )


def random_signature(index: SimilarCaseIndex, rng: np.random.Generator) -> CaseSignature:
    lc_gate = rng.dirichlet(np.ones(2), size=index.num_stages)
    routing = np.concatenate([lc_gate.ravel(), rng.dirichlet(np.ones(index.num_experts))])
    return CaseSignature(routing, rng.normal(size=index.feature_dim))


def oracle(index: SimilarCaseIndex, signature: CaseSignature, by: str, k: int) -> list[tuple[float, int]]:
    """Brute force in plain Python: every case's distance, sorted by (distance, row)."""
    ranked = []
    for i in range(len(index)):
        if by == "routing":
            row = [*index.lc_gate[i].ravel().tolist(), *index.gm_gate[i].tolist()]
            distance = math.dist(row, signature.routing.tolist())
        else:
            row, query = index.features[i].tolist(), signature.features.tolist()
            dot = sum(a * b for a, b in zip(row, query, strict=True))
            distance = 1 - dot / (math.hypot(*row) * math.hypot(*query))
        ranked.append((distance, i))
    return sorted(ranked)[:k]


@pytest.mark.parametrize("by", SIMILARITY)
@pytest.mark.parametrize("k", [1, DEFAULT_NEIGHBOURS, MAX_NEIGHBOURS])
def test_query_matches_a_brute_force_oracle(by, k):
    index = random_index()
    rng = np.random.default_rng(k)
    for _ in range(20):
        signature = random_signature(index, rng)
        result = index.query(signature, by, k)
        expected = oracle(index, signature, by, k)
        assert [n.index for n in result.neighbours] == [i for _, i in expected]
        assert [n.distance for n in result.neighbours] == pytest.approx([d for d, _ in expected], abs=1e-9)
        assert result.by == by


def test_a_query_at_an_indexed_case_finds_it_first_and_ties_go_to_the_case_listed_first():
    base = random_index(n=40)
    copies = [5, 17, 30, 31]  # the same routing and features as case 5, and nothing else as near
    lc_gate, gm_gate, features = base.lc_gate.copy(), base.gm_gate.copy(), base.features.copy()
    for i in copies[1:]:
        lc_gate[i], gm_gate[i], features[i] = lc_gate[5], gm_gate[5], features[5]
    arrays = {"lc_gate": lc_gate, "gm_gate": gm_gate, "features": features}
    index = SimilarCaseIndex(base.cases, base.classes, **arrays, labels=base.labels, predicted=base.predicted,
                             thumbnails=base.thumbnails, source=SOURCE)  # fmt: skip
    signature = CaseSignature(np.concatenate([lc_gate[17].ravel(), gm_gate[17]]), features[17])
    for by in SIMILARITY:
        for k in (1, 2, 3, 4, 6):
            neighbours = index.query(signature, by, k).neighbours
            tied = min(k, len(copies))
            assert [n.index for n in neighbours[:tied]] == copies[:tied]
            assert all(n.distance == pytest.approx(0, abs=1e-7) for n in neighbours[:tied])
            assert all(n.distance > 1e-4 for n in neighbours[tied:])


def test_the_index_file_round_trips(tmp_path):
    index = random_index()
    write_similar_cases(tmp_path, index)
    loaded = read_similar_cases(tmp_path)
    assert loaded.cases == index.cases and loaded.classes == index.classes and loaded.source == SOURCE
    for name in ("lc_gate", "gm_gate", "features", "labels", "predicted"):
        assert np.array_equal(getattr(loaded, name), getattr(index, name))
    assert loaded.thumbnails == index.thumbnails and loaded.thumbnails[3] == b""
    first = Image.open(io.BytesIO(loaded.thumbnails[0]))
    assert first.format == "JPEG" and max(first.size) == THUMBNAIL_SIZE and first.size[0] < first.size[1]


def test_a_damaged_or_foreign_index_file_is_refused_naming_the_file(tmp_path):
    path = tmp_path / SIMILAR_CASES_NAME
    random_index().save(path)
    whole = path.read_bytes()
    for content in (b"", b"not an index at all", whole[: len(whole) // 2]):
        path.write_bytes(content)
        with pytest.raises(ValueError, match=SIMILAR_CASES_NAME):
            read_similar_cases(tmp_path)
    shutil.copyfile(SYNTHETIC_CHECKPOINT / "ood.safetensors", path)  # a safetensors file, but not an index
    with pytest.raises(ValueError, match="not a readable similar-case index"):
        read_similar_cases(tmp_path)
    assert read_similar_cases(tmp_path / "elsewhere") is None


@pytest.mark.parametrize(
    ("by", "k", "routing", "message"),
    [
        ("distance", 6, None, "routing or features"),
        (None, 6, None, "routing or features"),
        ("routing", 0, None, "whole number"),
        ("routing", MAX_NEIGHBOURS + 1, None, "whole number"),
        ("routing", True, None, "whole number"),
        ("routing", "6", None, "whole number"),
        ("routing", 2.5, None, "whole number"),
        ("routing", 6, [0.5] * 3, "12 finite numbers"),
        ("routing", 6, [float("nan")] * 12, "12 finite numbers"),
    ],
)
def test_bad_queries_are_refused(by, k, routing, message):
    index = random_index()
    signature = random_signature(index, np.random.default_rng(0))
    if routing is not None:
        signature = CaseSignature(np.asarray(routing), signature.features)
    with pytest.raises(ValueError, match=message):
        index.query(signature, by, k)


def test_the_summary_counts_the_most_common_true_class_and_how_many_of_those_were_right():
    index = random_index()
    result = index.query(random_signature(index, np.random.default_rng(1)), "routing", 6)
    top, count, right = result.majority()
    classes = [n.true_class for n in result.neighbours]
    assert count == max(classes.count(c) for c in set(classes)) and classes.count(top) == count
    assert right == sum(n.true_class == n.prediction == top for n in result.neighbours)
    assert re.search(rf"\b{count} of 6\b.*\b{top}\b.*\b{right}\b", similar_summary(result))


# The bundled checkpoint


def test_the_bundled_index_is_small_and_made_by_the_bundled_model(predictor):
    path = SYNTHETIC_CHECKPOINT / SIMILAR_CASES_NAME
    assert path.stat().st_size <= 3 * 2**20
    index = read_similar_cases(SYNTHETIC_CHECKPOINT)
    config = predictor.config
    index.check_model(config.num_fused_stages, config.experts, config.expert_hidden)
    held_out = predictor.card["metrics"]["mhdf"]
    assert len(index) == held_out["num_samples"] == len(set(index.cases))
    assert np.mean(index.labels == index.predicted) == pytest.approx(held_out["accuracy"])
    assert index.classes == list(config.class_names) and index.source.synthetic and index.source.split == "test"
    sizes = {Image.open(io.BytesIO(t)).size for t in index.thumbnails}
    assert sizes == {(THUMBNAIL_SIZE, THUMBNAIL_SIZE)}


def test_every_example_case_finds_itself_among_the_held_out_cases(predictor, examples):
    """The examples are held-out cases, so each one's own pass lands on its own index row, at distance 0."""
    index = read_similar_cases(SYNTHETIC_CHECKPOINT)
    for example in examples:
        signature = predictor.predict(example.image, example.metadata).case_signature()
        for by in SIMILARITY:
            nearest = index.query(signature, by, 1).neighbours[0]
            assert nearest.distance < 1e-3 and nearest.true_class == example.label


# The app, without a server


@pytest.fixture(scope="module")
def session(predictor, examples, tmp_path_factory):
    uploads = UploadPolicy(tmp_path_factory.mktemp("uploads"), 20 * 1024**2)
    atlas, index = read_routing_atlas(SYNTHETIC_CHECKPOINT), read_similar_cases(SYNTHETIC_CHECKPOINT)
    return DemoSession(SessionParts(predictor, uploads, examples=examples, atlas=atlas, similar_index=index))


@pytest.fixture(scope="module")
def uploaded(session, examples):
    example = examples[1]
    photo = session.uploads.folder / example.image.name
    shutil.copyfile(example.image, photo)
    return {"path": str(photo)}, example


def test_the_first_paint_of_diagnose_carries_the_query_and_the_view_searches_with_it(session, uploaded):
    photo, example = uploaded
    form = form_from_record(session.schema, example.metadata)
    first, *_ = session.diagnose(photo, *form)
    query = first[session.view_names.index(SIMILAR_QUERY)]
    signature = signature_from_view(query)
    own = session.predictor.predict(example.image, example.metadata).case_signature()
    assert np.allclose(signature.routing, own.routing, atol=1e-6)
    assert np.allclose(signature.features, own.features, atol=1e-5)
    for by in SIMILARITY:
        page = session.similar_view(query, by)
        expected = session.similar_index.query(signature, by, DEFAULT_NEIGHBOURS)
        assert page == similar_cases_html(expected)
        assert re.findall(r'data-case="([^"]+)"', page) == [n.case for n in expected.neighbours]
        assert page.count("data:image/jpeg;base64,") == DEFAULT_NEIGHBOURS
    assert session.similar_view(None, "routing") == ""  # before a diagnosis: the view shows its placeholder


@pytest.mark.parametrize(
    "query",
    [
        "routing",
        [1, 2, 3],
        {"routing": [0.5] * 12},
        {"routing": "abc", "features": [0.0] * 128},
        {"routing": [0.5] * 11, "features": [0.0] * 128},
        {"routing": [[0.5] * 12], "features": [0.0] * 128},
        {"routing": [0.5] * 12, "features": [None] * 128},
        {"routing": [0.5] * 12, "features": [0.0] * 128, "extra": 1},
    ],
)
def test_a_forged_query_gets_a_clear_error(session, query):
    with pytest.raises(gr.Error, match="similar-case query|routing signature|feature vector"):
        served_handlers(session).similar_view(None, query, "routing")  # no request: English


def test_similar_returns_the_neighbours_with_their_thumbnails_as_files(session, uploaded):
    photo, example = uploaded
    document = session.similar(photo, example.metadata, "features", 4)
    assert document["by"] == "features" and len(document["neighbours"]) == 4
    expected = session.similar_index.query(
        session.predictor.predict(example.image, example.metadata).case_signature(), "features", 4
    )
    for got, want in zip(document["neighbours"], expected.neighbours, strict=True):
        assert set(got) == {"case", "true_class", "prediction", "distance", "gm_gate", "thumbnail"}
        assert (got["case"], got["true_class"], got["prediction"]) == (want.case, want.true_class, want.prediction)
        assert got["distance"] == pytest.approx(want.distance, abs=1e-6) and got["gm_gate"] == want.gm_gate
        file = got["thumbnail"]
        assert file["meta"] == {"_type": "gradio.FileData"} and file["mime_type"] == "image/jpeg"
        path = session.uploads.folder / file["path"]
        assert path.is_relative_to(session.uploads.folder) and path.read_bytes() == want.thumbnail
    with pytest.raises(gr.Error, match="whole number"):
        served_handlers(session).similar(photo, example.metadata, "routing", 500)


def test_a_checkpoint_without_an_index_works_and_says_how_to_build_one(tiny_checkpoint, tmp_path, examples):
    session = load_session(tmp_path / "uploads", "20mb", tiny_checkpoint, "cpu")
    assert session.similar_index is None
    example = examples[0]
    session.uploads.folder.mkdir(parents=True)
    photo = shutil.copyfile(example.image, session.uploads.folder / example.image.name)
    first, *_ = session.diagnose({"path": str(photo)}, *form_from_record(session.schema, example.metadata))
    query = first[session.view_names.index(SIMILAR_QUERY)]
    with pytest.raises(ValueError, match="training.evaluate"):
        session.similar_view(query, "routing")
    with pytest.raises(gr.Error, match="training.evaluate"):
        served_handlers(session).similar({"path": str(photo)}, {})


def test_a_stale_index_from_another_model_is_refused_at_load(tiny_checkpoint, tmp_path):
    folder = tmp_path / "checkpoint"
    folder.mkdir()
    for name in MODEL_FILES:
        shutil.copyfile(tiny_checkpoint / name, folder / name)
    random_index(stages=4, experts=4, dim=7).save(folder / SIMILAR_CASES_NAME)
    with pytest.raises(ValueError, match="rebuild it with training.evaluate"):
        load_session(tmp_path / "uploads", "20mb", folder, "cpu")


def test_make_demo_bundles_the_held_out_index_and_refuses_one_over_its_cap(tmp_path, monkeypatch):
    evaluation, checkpoint = tmp_path / "eval", tmp_path / "checkpoint"
    index = random_index()
    write_similar_cases(evaluation, index)
    demo_bundle.bundle_similar_cases(evaluation, checkpoint)
    assert read_similar_cases(checkpoint).cases == index.cases
    monkeypatch.setattr(demo_bundle, "MAX_INDEX_BYTES", (checkpoint / SIMILAR_CASES_NAME).stat().st_size - 1)
    with pytest.raises(ValueError, match="similar-case index takes"):
        demo_bundle.bundle_similar_cases(evaluation, checkpoint)
