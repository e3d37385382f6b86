"""The one codec for what the app carries in button values, block_ids and private_metadata."""

from __future__ import annotations

import pytest

from bot.payloads import MAX_ID, AnswerRef, CheckMeta, SetupMeta, WorkflowMeta, decode_id, encode_id


@pytest.mark.parametrize("value", [1, 42, MAX_ID])
def test_an_id_survives_the_round_trip(value: int) -> None:
    assert decode_id(encode_id(value)) == value


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "0",
        "-3",
        "12a",
        "1.5",
        " 7",
        "٣",
        "9" * 5000,
        str(MAX_ID + 1),
        None,
        [],
        {},
        True,
        0,
        -1,
    ],
)
def test_anything_but_a_sane_positive_id_reads_as_none(raw: object) -> None:
    assert decode_id(raw) is None


def test_an_answer_ref_survives_the_round_trip_and_garbage_reads_as_none() -> None:
    ref = AnswerRef(17, "ai_frequency")
    assert AnswerRef.decode(ref.encode()) == ref
    for raw in ("pulse|x|q", "pulse|1|", "other|1|q", "pulse|1|q|extra", None, 5, ["pulse"]):
        assert AnswerRef.decode(raw) is None
    assert AnswerRef.decode("pulse|" + "9" * 5000 + "|q") is None


def test_modal_metadata_survives_the_round_trip() -> None:
    assert SetupMeta.decode(SetupMeta(3).encode()) == SetupMeta(3)
    assert SetupMeta.decode(SetupMeta(None).encode()) == SetupMeta(None)
    assert WorkflowMeta.decode(WorkflowMeta(3, 9).encode()) == WorkflowMeta(3, 9)
    assert CheckMeta.decode(CheckMeta(12).encode()) == CheckMeta(12)


def test_metadata_already_in_slack_keeps_decoding() -> None:
    # The wire formats of modals opened before this codec existed.
    assert SetupMeta.decode('{"team_id": 4}') == SetupMeta(4)
    assert WorkflowMeta.decode('{"team_id": 4, "workflow_id": null}') == WorkflowMeta(4, None)
    assert CheckMeta.decode("4") == CheckMeta(4)


@pytest.mark.parametrize(
    "raw",
    ["", "not json", "[1, 2]", '"a string"', '{"team_id": "x"}', '{"team_id": [1]}', None, 7.5],
)
def test_forged_metadata_reads_as_absent_fields(raw: object) -> None:
    assert SetupMeta.decode(raw) == SetupMeta(None)
    assert WorkflowMeta.decode(raw) == WorkflowMeta(None, None)
    assert CheckMeta.decode(raw) is None


def test_oversized_metadata_is_not_parsed() -> None:
    padded = '{"team_id": 4, "pad": "' + "x" * 4000 + '"}'
    assert SetupMeta.decode(padded) == SetupMeta(None)
