"""What the catalog lists for a viewer: the rule rows are filtered by, at its clock edges."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from rows_api.availability import InvalidItemError, listed

from tests.support.rows import catalog_item

FROM, UNTIL = "2026-12-01T00:00:00Z", "2026-12-31T00:00:00Z"
AT_FROM = datetime(2026, 12, 1, tzinfo=UTC).timestamp()
AT_UNTIL = datetime(2026, 12, 31, tzinfo=UTC).timestamp()


@pytest.mark.parametrize("status", ["processing", "failed", "withdrawn"])
def test_only_published_titles_are_listed(status: str):
    assert listed(catalog_item("t-1"), "US", AT_FROM)
    assert not listed(catalog_item("t-1", status=status), "US", AT_FROM)


def test_the_window_is_half_open():
    item = catalog_item("t-1", available_from=FROM, available_until=UNTIL)
    assert not listed(item, "US", AT_FROM - 1)
    assert listed(item, "US", AT_FROM)
    assert listed(item, "US", AT_UNTIL - 1)
    assert not listed(item, "US", AT_UNTIL)


def test_a_country_list_admits_only_its_countries_and_never_an_unknown_one():
    item = catalog_item("t-1", countries=["US", "CA"])
    assert listed(item, "CA", AT_FROM)
    assert not listed(item, "DE", AT_FROM)
    assert not listed(item, None, AT_FROM)
    assert listed(catalog_item("t-1"), None, AT_FROM)  # no list: every country
    assert listed({**catalog_item("t-1"), "countries": {"SS": ["DE"]}}, "DE", AT_FROM)


@pytest.mark.parametrize(
    "change",
    [
        {"availableFrom": {"S": "2026-12-01"}},
        {"availableUntil": {"N": "1"}},
        {"countries": {"L": [{"S": "usa"}]}},
        {"countries": {"L": []}},
        {"status": {"N": "1"}},
    ],
)
def test_an_item_that_breaks_the_schema_is_refused(change: dict[str, object]):
    with pytest.raises(InvalidItemError):
        listed({**catalog_item("t-1"), **change}, "US", AT_FROM)
