"""Field tokens: field dropout reads a field as missing while training, and never at inference."""

import pytest
import torch

from mhdf import MHDFConfig
from mhdf.field_tokens import FieldTokenizer
from mhdf.metadata import PAD_UFES_20

RECORD = {"age": 67, "region": "FACE", "itch": "True", "fitspatrick": "3.0", "smoke": "False", "diameter_1": 6.0}


def tokens_of(tokenizer: FieldTokenizer, records: list[dict]) -> torch.Tensor:
    return tokenizer(torch.from_numpy(PAD_UFES_20.encode_batch(records)))


def test_field_dropout_swaps_fields_for_their_missing_tokens_in_training_only():
    torch.manual_seed(0)
    tokenizer = FieldTokenizer(PAD_UFES_20, 16, field_dropout=0.3)
    batch = [RECORD] * 400
    present, missing = tokens_of(tokenizer.eval(), [RECORD]), tokens_of(tokenizer, [{}])
    assert torch.equal(tokens_of(tokenizer, batch), present.expand(400, -1, -1))  # eval: no dropout

    dropped = tokens_of(tokenizer.train(), batch)
    is_present = torch.isclose(dropped, present, atol=1e-6).all(-1)
    is_missing = torch.isclose(dropped, missing, atol=1e-6).all(-1)
    assert (is_present | is_missing).all()  # every token is either the field's own or its missing token
    filled = [PAD_UFES_20.field_names.index(name) for name in RECORD]
    assert is_missing[:, filled].float().mean().item() == pytest.approx(0.3, abs=0.03)


def test_field_dropout_rate_is_checked():
    assert MHDFConfig(variant="meta-only", field_dropout=0.2).field_dropout == 0.2
    for rate in (-0.1, 1.0):
        with pytest.raises(ValueError, match="field_dropout"):
            MHDFConfig(variant="meta-only", field_dropout=rate)
