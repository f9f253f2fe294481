"""The ISIC vocabularies baked into the core agree with the archive's own package, isic-metadata (a development
dependency; the core never imports it)."""

import pytest

from mhdf.metadata import ISIC_2019, ISIC_ARCHIVE
from mhdf.metadata.isic import ISIC_ANATOM_SITES_GENERAL, ISIC_FITZPATRICK, ISIC_SEXES
from training.data.isic import ARCHIVE_CLASS_MAP

fields = pytest.importorskip("isic_metadata.fields")
metadata = pytest.importorskip("isic_metadata.metadata")
hierarchy = pytest.importorskip("isic_metadata.diagnosis_hierarchical")


def test_anatomic_sites_sexes_and_fitzpatrick_types_match_isic_metadata():
    assert set(ISIC_ANATOM_SITES_GENERAL) == {site.value for site in fields.AnatomSiteGeneralEnum}
    assert set(ISIC_FITZPATRICK) == {kind.value for kind in fields.FitzpatrickSkinType}
    sex = metadata.MetadataRow.model_fields["sex"].annotation
    assert set(ISIC_SEXES) == set(sex.__args__[0].__args__)  # Literal["male", "female"] | None
    assert ISIC_2019.field("anatom_site_general").values == ISIC_ARCHIVE.field("anatom_site_general").values


def test_every_archive_field_is_a_field_of_isic_metadata():
    known = set(metadata.MetadataRow.model_fields) | {"age_approx"}  # the export rounds `age` to age_approx
    assert set(ISIC_ARCHIVE.field_names) <= known


def test_every_prefix_of_the_class_map_is_a_diagnosis_of_the_hierarchy():
    diagnoses = {member.value for member in hierarchy.DiagnosisEnum}
    for prefix in ARCHIVE_CLASS_MAP:
        assert prefix in diagnoses or any(d.startswith(prefix + ":") for d in diagnoses), prefix
