"""The catalog operator command against moto: each change, the dry run, every refusal, and the issuer's view."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3
import pytest
import signed_url.handler
from entitlement.rules import PLAN_GROUP_PREFIX, STATUSES, TIERS
from moto import mock_aws

from stacks.names import CATALOG_STATUSES, CATALOG_TIERS
from stacks.names import PLAN_GROUP_PREFIX as NAMES_PLAN_GROUP_PREFIX
from tests.support import catalog
from tests.support.aws import REGION
from tests.support.events import playback_event
from tools.developer.samples import DOMAIN, KEY_PAIR_ID, private_pem
from tools.operator.catalog import main


@pytest.fixture
def dynamodb() -> Iterator[Any]:
    with mock_aws():
        client = boto3.client("dynamodb", region_name=REGION)
        catalog.create_table(client)
        for item in (
            catalog.item("t-live", name="Live"),
            catalog.item("t-gone", status="withdrawn"),
            catalog.item("t-busy", status="processing", formats=()),
            catalog.item("t-bad", status="failed", formats=()),
            catalog.item("t-window", available_from="2027-01-01T00:00:00Z", available_until="2027-02-01T00:00:00Z"),
        ):
            client.put_item(TableName=catalog.TABLE, Item=item)
        yield client


def run(client: Any, *args: str) -> int:
    return main(["--env", "dev", "--table", catalog.TABLE, *args], client=client)


def item(client: Any, title_id: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get_item(TableName=catalog.TABLE, Key={"titleId": {"S": title_id}})["Item"]
    return found


def test_the_vocabulary_is_the_entitlement_packages():
    assert (CATALOG_TIERS, CATALOG_STATUSES, NAMES_PLAN_GROUP_PREFIX) == (TIERS, STATUSES, PLAN_GROUP_PREFIX)


def test_withdraw_and_publish_again(dynamodb: Any, capsys: pytest.CaptureFixture[str]):
    assert run(dynamodb, "withdraw", "t-live") == 0
    assert item(dynamodb, "t-live")["status"] == {"S": "withdrawn"}
    assert '"status": "withdrawn"' in capsys.readouterr().out
    assert run(dynamodb, "publish", "t-live") == 0
    assert item(dynamodb, "t-live")["status"] == {"S": "published"}
    assert item(dynamodb, "t-live")["formats"] == catalog.item("t-live")["formats"]  # nothing else touched


def test_set_the_window_countries_tier_and_description(dynamodb: Any):
    assert (
        run(
            dynamodb,
            "set",
            "t-live",
            "--from",
            "2027-03-01T00:00:00Z",
            "--until",
            "2027-04-01T00:00:00Z",
            "--countries",
            "US,CA,US",
            "--tier",
            "premium",
            "--year",
            "2001",
            "--synopsis",
            "A film.",
            "--genres",
            "comedy,romance",
        )
        == 0
    )
    found = item(dynamodb, "t-live")
    assert found["availableFrom"] == {"S": "2027-03-01T00:00:00Z"}
    assert found["availableUntil"] == {"S": "2027-04-01T00:00:00Z"}
    assert found["countries"] == {"L": [{"S": "CA"}, {"S": "US"}]}
    assert found["tier"] == {"S": "premium"}
    assert found["year"] == {"N": "2001"}
    assert found["genres"] == {"L": [{"S": "comedy"}, {"S": "romance"}]}
    assert found["status"] == {"S": "published"}
    assert run(dynamodb, "set", "t-live", "--until", "none", "--countries", "all") == 0
    found = item(dynamodb, "t-live")
    assert "availableUntil" not in found
    assert "countries" not in found
    assert found["availableFrom"] == {"S": "2027-03-01T00:00:00Z"}


def test_a_dry_run_prints_before_and_after_and_writes_nothing(dynamodb: Any, capsys: pytest.CaptureFixture[str]):
    before = item(dynamodb, "t-live")
    assert run(dynamodb, "set", "t-live", "--tier", "standard", "--countries", "GB", "--dry-run") == 0
    assert run(dynamodb, "withdraw", "t-live", "--dry-run") == 0
    assert item(dynamodb, "t-live") == before
    out = capsys.readouterr().out.splitlines()
    assert out[0] == f"dry run: {catalog.TABLE} t-live would change"
    after = json.loads(out[2].removeprefix("after:  "))
    assert (after["tier"], after["countries"]) == ("standard", ["GB"])
    assert json.loads(out[5].removeprefix("after:  "))["status"] == "withdrawn"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["withdraw", "../t-live"], "titleId must match"),
        (["withdraw", "t-nothing"], "no title t-nothing"),
        (["withdraw", "t-busy"], "t-busy is processing: only a published title can be withdrawn"),
        (["publish", "t-busy"], "t-busy is processing: only a withdrawn title can be published again"),
        (["publish", "t-bad"], "t-bad is failed: only a withdrawn title can be published again"),
        (["set", "t-live", "--from", "2027-01-01"], "--from must be YYYY-MM-DDTHH:MM:SSZ (UTC)"),
        (["set", "t-live", "--from", "2027-02-30T00:00:00Z"], "--from is not a real date and time"),
        (["set", "t-live", "--until", "2027-01-01T00:00:00+01:00"], "--until must be YYYY-MM-DDTHH:MM:SSZ"),
        (
            ["set", "t-window", "--until", "2026-12-31T00:00:00Z"],  # before the availableFrom it already has
            "the window would end (2026-12-31T00:00:00Z) before or when it starts (2027-01-01T00:00:00Z)",
        ),
        (["set", "t-window", "--from", "2027-02-01T00:00:00Z"], "the window would end (2027-02-01T00:00:00Z)"),
        (["set", "t-live", "--countries", "us"], "--countries takes ISO 3166-1 alpha-2 codes"),
        (["set", "t-live", "--countries", "USA,CA"], "--countries takes ISO 3166-1 alpha-2 codes"),
        (["set", "t-live", "--tier", "gold"], "--tier must be one of free, standard, premium"),
        (["set", "t-live", "--year", "1066"], "--year must be from 1870 to 2100"),
        (["set", "t-live", "--genres", "Comedy"], "--genres takes 1-10 lowercase words"),
        (["set", "t-live", "--synopsis", "two\nlines"], "--synopsis must be 1-2000 characters on one line"),
        (["set", "t-live"], "nothing to set"),
    ],
)
def test_refusals_change_nothing(dynamodb: Any, capsys: pytest.CaptureFixture[str], args: list[str], message: str):
    before = {title: item(dynamodb, title) for title in ("t-live", "t-busy", "t-bad", "t-window")}
    assert run(dynamodb, *args) == 1
    assert message in capsys.readouterr().err
    assert {title: item(dynamodb, title) for title in before} == before


def test_a_change_raced_by_the_workflow_is_refused(dynamodb: Any, capsys: pytest.CaptureFixture[str]):
    from tools.operator.catalog import Catalog

    tool = Catalog(dynamodb, catalog.TABLE)
    _, change = tool.plan("t-gone", "publish")
    dynamodb.delete_item(TableName=catalog.TABLE, Key={"titleId": {"S": "t-gone"}})
    with pytest.raises(Exception, match="t-gone changed while this ran"):
        tool.apply(change)  # the condition holds the item's existence and status: no new item is created
    assert "Item" not in dynamodb.get_item(TableName=catalog.TABLE, Key={"titleId": {"S": "t-gone"}})


def test_a_withdrawal_stops_the_issuer_within_the_cache_time(dynamodb: Any, monkeypatch: pytest.MonkeyPatch):
    from signed_url.issuer import TitleCatalog

    secret = boto3.client("secretsmanager", region_name=REGION).create_secret(Name="k", SecretString=private_pem())
    for name, value in {
        "DISTRIBUTION_DOMAIN": DOMAIN,
        "KEY_PAIR_ID": KEY_PAIR_ID,
        "SIGNING_KEY_SECRET_ARN": secret["ARN"],
        "CATALOG_TABLE": catalog.TABLE,
        "URL_TTL_SECONDS": "3600",
        "TOKEN_MIN_SECONDS": "300",
        "TOKEN_MARGIN_SECONDS": "600",
        "CATALOG_CACHE_SECONDS": "10",
        "AWS_DEFAULT_REGION": REGION,
    }.items():
        monkeypatch.setenv(name, value)
    now = [100.0]
    monkeypatch.setattr(
        TitleCatalog.__init__,
        "__kwdefaults__",
        {**(TitleCatalog.__init__.__kwdefaults__ or {}), "clock": lambda: now[0]},
    )
    signed_url.handler.reset()
    try:
        assert signed_url.handler.handler(playback_event("t-live"), None)["statusCode"] == 200
        assert run(dynamodb, "withdraw", "t-live") == 0
        now[0] += 9.9
        assert signed_url.handler.handler(playback_event("t-live"), None)["statusCode"] == 200  # cached
        now[0] += 0.1
        response = signed_url.handler.handler(playback_event("t-live"), None)
        assert (response["statusCode"], json.loads(response["body"])["reason"]) == (403, "withdrawn")
    finally:
        signed_url.handler.reset()
