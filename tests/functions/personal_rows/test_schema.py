"""Row items: keys, values as DynamoDB stores them, and expiry as readers must judge it."""

from __future__ import annotations

from personal_rows.schema import (
    POINTER_KEY,
    Entry,
    Pointer,
    entries,
    expired,
    pointer,
    row_item,
    top,
    trending_key,
    user_key,
)


def test_a_row_item_keeps_its_titles_in_order_and_reads_back():
    item = row_item(user_key("viewer-1", "run-1"), [Entry("t-b", 0.5), Entry("t-a", 2.0)], "score", 1_700_000_000)
    assert item["pk"] == {"S": "user#viewer-1"}
    assert item["run"] == {"S": "run-1"}
    assert item["titles"]["L"][1] == {"M": {"titleId": {"S": "t-a"}, "score": {"N": "2"}}}
    assert entries(item, "score") == [Entry("t-b", 0.5), Entry("t-a", 2.0)]
    assert row_item(trending_key("US", "r"), [], "plays", 1, date="2026-11-26")["date"] == {"S": "2026-11-26"}


def test_entries_that_break_the_schema_are_left_out():
    item = {
        "titles": {
            "L": [
                {"M": {"titleId": {"S": "../x"}, "score": {"N": "1"}}},
                {"M": {"titleId": {"S": "t-a"}, "score": {"S": "1"}}},
                {"M": {"titleId": {"S": "t-b"}, "score": {"N": "x"}}},
                "nonsense",
                {"M": {"titleId": {"S": "t-c"}, "score": {"N": "3"}}},
            ]
        }
    }
    assert entries(item, "score") == [Entry("t-c", 3.0)]


def test_an_item_is_expired_from_its_expiry_on_whether_or_not_dynamodb_deleted_it():
    item = {"expiresAt": {"N": "1000"}}
    assert not expired(item, 999.9)
    assert expired(item, 1000)
    assert expired({}, 0)  # no expiry: not something the loader wrote
    assert expired({"expiresAt": {"N": "soon"}}, 0)


def test_the_pointer_names_a_run_or_nothing():
    assert POINTER_KEY == {"pk": {"S": "pointer"}, "run": {"S": "current"}}
    assert pointer({"runId": {"S": "run-1"}, "runDate": {"S": "2026-11-26"}}) == Pointer("run-1", "2026-11-26")
    assert pointer(None) is None
    assert pointer({"runId": {"S": "../x"}, "runDate": {"S": "2026-11-26"}}) is None


def test_top_orders_by_value_then_title_id():
    found = [Entry("t-b", 2), Entry("t-a", 2), Entry("t-c", 5), Entry("t-d", 1)]
    assert top(found, 3) == [Entry("t-c", 5), Entry("t-a", 2), Entry("t-b", 2)]
