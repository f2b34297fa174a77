"""A day in the life, offline: plays become events, events become a night's rows, rows reach the viewers.

The dev stage is deployed into moto. Then, as in production:

1. **Viewers play.** Two taste groups (one watches only space titles, the other only garden titles),
   in the US and Germany, post their viewing of yesterday through the real ``POST /events`` handler,
   one batch per viewer; one more viewer plays the sample title in headless Chromium, from the
   catalog page to the watch page, whose reporter (``events.js``) posts its events through the local
   edge. Every request's events are packed into one Kinesis record (the aggregation).
2. **Firehose delivers** the stream into the data lake (``tools/developer/firehose.py``: the deployed
   delivery stream's prefix, compression and key; one flush).
3. **The nightly run** is the deployed state machine, run state by state
   (``tools/developer/stepfunctions``): the EMR steps are the deployed job assets run by spark-submit
   on local pyspark over the lake's objects (``tools/developer/emr/local_steps.py``), the loads are the
   real loader handler with its deployed environment, the switch is DynamoDB in moto.
4. **Viewers see rows**: ``GET /me/recommendations`` gives each viewer the titles of their own group
   they have not played (never a withdrawn one), ``GET /trending`` the most-watched titles of their
   country yesterday; the Chromium viewer's catalog page shows both rows.
5. **The next day** new viewers in the US start with trending (a cold start), play one garden
   title; after the next night the US trending row has it first, and they get recommendations.

Nothing decides an outcome by hand: expected rows are computed from the plays sent.
"""

from __future__ import annotations

import datetime as dt
import gzip
import json
import random
import shutil
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import event_ingest.handler
import pytest
import rows_api.handler
from moto import mock_aws

from tests.e2e.chromium import Chromium, DevToolsError
from tests.e2e.cognito import CognitoStandIn
from tests.e2e.conftest import (
    COGNITO_JS,
    COGNITO_JS_CDN_PATH,
    HLS_JS,
    HLS_JS_CDN_PATH,
    TITLE_A,
    JwtAuthorizer,
    SigningKeyPair,
    deploy_playback,
    http_api,
    installed_site,
    list_title,
    reset_handlers,
    upload_title,
)
from tests.e2e.local_edge import LocalEdge, self_signed_certificate
from tests.support.aws import client
from tests.support.events import events_post
from tests.support.rows import rows_request
from tools.developer.assembly import StackArtifact
from tools.developer.emr.local_steps import LocalEmr
from tools.developer.firehose import LocalFirehose
from tools.developer.stepfunctions.interpreter import Execution, run
from tools.developer.stepfunctions.local_integrations import LocalIntegrations

SPACE = [TITLE_A, *(f"space-{n}" for n in range(1, 8))]  # the Chromium viewer's title is a space title
GARDEN = [f"garden-{n}" for n in range(8)]
GROUPS = {"space": SPACE, "garden": GARDEN}
WITHDRAWN = "space-7"  # the catalog withdrew it: no row may show it, whatever the night computed
VIEWERS_PER_GROUP = 12
WATCHED_PER_VIEWER = 5
COUNTRIES = ("US", "DE")
NEWCOMERS = [f"newcomer-{n}" for n in range(6)]  # day two, in the US
NEWCOMERS_TITLE = "garden-3"
ROW_LENGTH = 10
NIGHTLY = "showrunner-dev-nightly-spark"
NIGHT_PATH = [
    "PlanRun",
    "CreateCluster",
    "Trending",
    "Recommendations",
    "TerminateCluster",
    "LoadTrending",
    "LoadRecommendations",
    "SwitchRun",
    "Done",
]
TIMINGS: dict[str, float] = {}


# The viewer in Chromium: an account of the deployed user pool, signed in on the real sign-in page.
BROWSER_EMAIL, BROWSER_PASSWORD = "day-viewer@example.com", "Correct-Horse-9-battery"


@dataclass
class Viewer:
    sub: str
    group: str
    country: str
    played: set[str] = field(default_factory=set)


def _viewing(viewer: Viewer, title: str, day: dt.date, rng: random.Random) -> list[dict[str, Any]]:
    """One viewing session on ``day``: play, heartbeats with QoE fields, pause, seek, complete."""
    minutes = rng.uniform(10, 90)
    hour = rng.randint(12, 20)
    steps = [
        ("play", 0.0),
        ("heartbeat", minutes * 15),
        ("pause", minutes * 30),
        ("seek", minutes * 45),
        ("complete", minutes * 60),
    ]
    return [
        {
            "eventId": str(uuid.uuid4()),
            "userId": viewer.sub,
            "titleId": title,
            "type": kind,
            "positionSec": round(position, 1),
            "timestamp": f"{day.isoformat()}T{hour:02d}:{index * 10:02d}:00Z",
            "device": rng.choice(["tv", "web", "mobile", "tablet"]),
            "country": viewer.country,
            "bitrateKbps": rng.choice([400, 1000, 2000, 3500, 6000]),
            "rebufferMs": rng.choice([0, 0, 0, 250, 1200]),
        }
        for index, (kind, position) in enumerate(steps)
    ]


def _json(response: dict[str, Any]) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(response["body"])
    return body


@dataclass
class World:
    """The deployed dev stage in moto, its handlers configured, the local edge in front of it."""

    edge: LocalEdge
    outputs: dict[str, dict[str, str]]
    stream_arn: str
    lake: str
    rows_table: str
    firehose: LocalFirehose
    delivery_stream: str
    definition: dict[str, Any]
    integrations: LocalIntegrations
    emr: LocalEmr
    browser_sub: str  # the Chromium viewer's subject in the user pool
    cognito_host: str  # the Cognito double's host name, which Chromium resolves to the local edge
    requests: list[tuple[str, int]] = field(default_factory=list)  # every POST /events: (subject, events)
    sent: list[dict[str, Any]] = field(default_factory=list)  # every event accepted

    def post(self, sub: str, events: list[dict[str, Any]]) -> dict[str, Any]:
        """``POST /events`` through the real handler, as the HTTP API passes it (the JWT's subject)."""
        response = event_ingest.handler.handler(events_post(json.dumps(events), sub), None)
        body = _json(response)
        assert (response["statusCode"], body["accepted"]) == (200, len(events)), body
        self.requests.append((sub, len(events)))
        self.sent += events
        return body

    def get(self, route: str, sub: str, country: str | None = "US") -> dict[str, Any]:
        response = rows_api.handler.handler(rows_request(route, sub, country), None)
        assert response["statusCode"] == 200, response
        return _json(response)

    def stream_records(self) -> list[dict[str, Any]]:
        kinesis = client("kinesis")
        found = []
        for shard in kinesis.list_shards(StreamARN=self.stream_arn)["Shards"]:
            iterator = kinesis.get_shard_iterator(
                StreamARN=self.stream_arn, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            found += kinesis.get_records(StreamARN=self.stream_arn, ShardIterator=iterator)["Records"]
        return found

    def night(self, name: str) -> Execution:
        arn = f"arn:aws:states:us-east-1:123456789012:execution:{NIGHTLY}:{name}"
        started = time.perf_counter()
        execution = run(self.definition, {}, {**self.integrations.table(), **self.emr.table()}, execution_arn=arn)
        TIMINGS[name] = time.perf_counter() - started
        # A warm container serves a switched run within its pointer cache time (a minute): a night later, every
        # container has.
        rows_api.handler.reset()
        return execution

    def lake_objects(self, prefix: str) -> list[str]:
        pages = client("s3").get_paginator("list_objects_v2").paginate(Bucket=self.lake, Prefix=prefix)
        return [o["Key"] for page in pages for o in page.get("Contents", [])]


def _function_environment(logical_prefix: str) -> dict[str, str]:
    functions = client("lambda").list_functions()["Functions"]
    (function,) = (f for f in functions if f"-{logical_prefix}" in f["FunctionName"])
    variables: dict[str, str] = function["Environment"]["Variables"]
    return variables


@pytest.fixture(scope="module")
def world(
    dev_stage: list[StackArtifact],
    signing_key_pair: SigningKeyPair,
    sample_title: Path,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[World]:
    with mock_aws(), pytest.MonkeyPatch.context() as monkeypatch:
        started = time.perf_counter()
        deployed = deploy_playback(dev_stage, signing_key_pair, monkeypatch)
        TIMINGS["deploy"] = time.perf_counter() - started
        upload_title(deployed.s3, deployed.bucket, sample_title, TITLE_A)
        rows_env = _function_environment("Analytics-RowsApiFunction")
        catalog = deployed.outputs["dev/Storage"]["CatalogTableName"]
        assert rows_env["CATALOG_TABLE"] == catalog
        for title in [*SPACE, *GARDEN]:
            status = "withdrawn" if title == WITHDRAWN else "published"
            list_title(catalog, title, name=title.replace("-", " ").title(), status=status)
        api = deployed.outputs["dev/Api"]
        cognito = client("cognito-idp")
        cognito.admin_create_user(UserPoolId=api["ViewerPoolId"], Username=BROWSER_EMAIL, MessageAction="SUPPRESS")
        cognito.admin_set_user_password(
            UserPoolId=api["ViewerPoolId"], Username=BROWSER_EMAIL, Password=BROWSER_PASSWORD, Permanent=True
        )
        attributes = cognito.admin_get_user(UserPoolId=api["ViewerPoolId"], Username=BROWSER_EMAIL)["UserAttributes"]
        browser_sub = next(a["Value"] for a in attributes if a["Name"] == "sub")
        site = installed_site(
            tmp_path_factory.mktemp("day-origin"), "us-east-1", api["ViewerPoolId"], api["ViewerClientId"]
        )
        stand_in = CognitoStandIn("us-east-1")
        analytics = deployed.outputs["dev/Analytics"]
        (delivery_stream,) = client("firehose").list_delivery_streams()["DeliveryStreamNames"]
        machine = client("stepfunctions").describe_state_machine(stateMachineArn=analytics["NightlyStateMachineArn"])
        edge = deployed.edge(
            dev_stage,
            self_signed_certificate(tmp_path_factory.mktemp("day-edge-tls")),
            site={**site.files, HLS_JS_CDN_PATH: HLS_JS, COGNITO_JS_CDN_PATH: COGNITO_JS},
            site_headers=site.headers,
            api=http_api(JwtAuthorizer(api["JwtIssuer"], [api["ViewerClientId"]])),
            hosts={stand_in.host: stand_in.serve},
        )
        try:
            with edge:
                yield World(
                    edge=edge,
                    outputs=deployed.outputs,
                    stream_arn=_function_environment("Analytics-IngestionFunction")["STREAM_ARN"],
                    lake=_function_environment("Analytics-RowsLoaderFunction")["DATA_LAKE_BUCKET"],
                    rows_table=rows_env["ROWS_TABLE"],
                    firehose=LocalFirehose(client("firehose"), client("kinesis"), client("s3")),
                    delivery_stream=delivery_stream,
                    definition=json.loads(machine["definition"]),
                    integrations=LocalIntegrations(clients=client, job_templates={}, job_s3=lambda _role: None),
                    emr=LocalEmr(client("s3")),
                    browser_sub=browser_sub,
                    cognito_host=stand_in.host,
                )
        finally:
            reset_handlers()


# --- the browser viewer --------------------------------------------------------------------------------------

ROW_BUTTONS = "[...document.querySelectorAll('#{id} button')].map((b) => b.textContent)"


def _chromium(world: World, profile: Path) -> Chromium:
    executable = shutil.which("chromium")
    assert executable, "chromium is missing: make setup installs it (APT_PACKAGES)"
    port = world.edge.base_url.rsplit(":", 1)[1]
    names = ("cdn.jsdelivr.net", world.cognito_host, world.edge.domain)
    hosts = ", ".join(f"MAP {host} 127.0.0.1:{port}" for host in names)
    return Chromium(executable, profile, extra_arguments=(f"--host-resolver-rules={hosts}",))


def _until(check: Any, seconds: float = 60) -> Any:
    deadline = time.monotonic() + seconds
    value = None
    while time.monotonic() < deadline:
        try:
            value = check()
        except DevToolsError:  # between two pages
            value = None
        if value:
            return value
        time.sleep(0.2)
    return value


def _signed_in(browser: Chromium, world: World) -> str:
    """The viewer signs in on the real sign-in page (SRP against the Cognito double); the catalog page then lists."""
    session = browser.open(f"https://{world.edge.domain}/signin.html")
    # The page's scripts must have run (the form's submit handler attached: DOMContentLoaded has fired once the
    # document is complete), or the form would submit itself as a plain GET, which signs no one in.
    ready = "document.readyState === 'complete' && !!window.ShowrunnerAuth && !!document.getElementById('signin-form')"
    assert _until(lambda: browser.evaluate(session, ready)), "the sign-in page did not load"
    form = "document.getElementById('signin-form')"
    browser.evaluate(
        session,
        f"(() => {{ const f = {form}; f.elements.email.value = {BROWSER_EMAIL!r}; "
        f"f.elements.password.value = {BROWSER_PASSWORD!r}; f.requestSubmit(); }})()",
    )
    listed = "document.querySelectorAll('#catalog button').length"
    if not _until(lambda: browser.evaluate(session, f"location.pathname === '/' && {listed} > 0"), 120):
        where = "[location.href, (document.getElementById('status') || {}).textContent]"
        pytest.fail(f"signed in, the catalog page did not list: {browser.evaluate(session, where)}")
    return session


def _play_in_chromium(world: World, profile: Path) -> list[dict[str, Any]]:
    """The viewer opens the catalog page, plays the sample title to its end; the events its watch page posted."""
    before = len(world.stream_records())
    with _chromium(world, profile) as browser:
        session = _signed_in(browser, world)
        browser.evaluate(session, f"document.querySelector('#catalog [data-title-id=\"{TITLE_A}\"]').click()")
        ended = "(() => { const v = document.getElementById('player'); return !!v && v.ended; })()"
        assert _until(lambda: browser.evaluate(session, ended)), "the watch page did not play to the end"
        # The reporter posts the batch when the title ends; wait until the stream has it.
        assert _until(lambda: len(world.stream_records()) > before, 20), "the watch page posted no events"
    events = [json.loads(line) for record in world.stream_records()[before:] for line in record["Data"].splitlines()]
    world.requests.append((world.browser_sub, len(events)))  # the page posted one batch, when the title ended
    world.sent += events
    return events


def _rows_in_chromium(world: World, profile: Path) -> dict[str, Any]:
    with _chromium(world, profile) as browser:
        # Signing in lands on the catalog page, whose rows load with it (the tokens are in this tab's sessionStorage).
        session = _signed_in(browser, world)
        shown = _until(lambda: browser.evaluate(session, ROW_BUTTONS.format(id="recommended-row")))
        heading = "document.getElementById('{id}').textContent"
        return {
            "recommended": shown,
            "recommended heading": browser.evaluate(session, heading.format(id="recommended-heading")),
            "trending": browser.evaluate(session, ROW_BUTTONS.format(id="trending-row")),
            "trending heading": browser.evaluate(session, heading.format(id="trending-heading")),
        }


# --- what the plays imply ------------------------------------------------------------------------------------


def _expected_trending(events: list[dict[str, Any]], day: str, country: str | None) -> list[str]:
    """Distinct viewers per title who played it on ``day`` in ``country``, most first, ties by titleId; for every
    country (``None``), the countries' counts summed."""
    viewers = {
        (e["titleId"], e["userId"], e["country"])
        for e in events
        if e["type"] == "play" and e["timestamp"].startswith(day) and country in (None, e["country"])
    }
    counts = Counter(title for title, _user, _country in viewers)
    ranked = sorted(counts, key=lambda title: (-counts[title], title))
    return [title for title in ranked if title != WITHDRAWN][:ROW_LENGTH]


def _ids(body: dict[str, Any]) -> list[str]:
    return [title["titleId"] for title in body["titles"]]


# --- the day ------------------------------------------------------------------------------------------------


def test_a_day_in_the_life(world: World, tmp_path: Path):
    rng = random.Random(17)
    yesterday = (dt.datetime.now(dt.UTC).date() - dt.timedelta(days=1)).isoformat()
    viewers: list[Viewer] = []
    for group, titles in GROUPS.items():
        for n in range(VIEWERS_PER_GROUP):
            viewer = Viewer(f"{group}-viewer-{n:02d}", group, COUNTRIES[n % 2])
            viewer.played = set(rng.sample(titles, WATCHED_PER_VIEWER))
            viewers.append(viewer)

    # Before any night: no rows yet, for anyone.
    for route in ("GET /trending", "GET /me/recommendations"):
        assert world.get(route, viewers[0].sub) == {"country": "US", "runDate": None, "source": None, "titles": []}

    # 1. Viewers play: one batch per viewer through POST /events, and one viewer in Chromium.
    day = dt.date.fromisoformat(yesterday)
    for viewer in viewers:
        world.post(viewer.sub, [e for title in sorted(viewer.played) for e in _viewing(viewer, title, day, rng)])
    started = time.perf_counter()
    browser_events = _play_in_chromium(world, tmp_path / "profile-watch")
    TIMINGS["chromium viewing"] = time.perf_counter() - started
    assert browser_events[0]["type"] == "play"
    assert browser_events[-1]["type"] == "complete"
    assert {(e["userId"], e["titleId"], e["device"], e["country"]) for e in browser_events} == {
        (world.browser_sub, TITLE_A, "web", "US")
    }
    assert all(e["rebufferMs"] >= 0 and e.get("bitrateKbps", 0) > 0 for e in browser_events), browser_events

    # The aggregation: each request's events are one Kinesis record of JSON lines, keyed by its viewer.
    records = world.stream_records()
    assert len(records) == len(world.requests) == 2 * VIEWERS_PER_GROUP + 1
    assert len(world.sent) == sum(count for _, count in world.requests) > 20 * len(records)
    assert [(r["PartitionKey"], len(r["Data"].splitlines())) for r in records] == world.requests

    # 2. Firehose delivers the stream into the lake: JSON lines, the events as accepted.
    delivery = world.firehose.deliver(world.delivery_stream)
    assert delivery is not None
    today = dt.datetime.now(dt.UTC)
    assert delivery.key.startswith(f"events/year={today:%Y}/month={today:%m}/day=")  # Firehose's arrival time
    assert delivery.key.endswith(".json.gz")
    assert world.lake_objects("events/") == [delivery.key]
    lake = gzip.decompress(client("s3").get_object(Bucket=world.lake, Key=delivery.key)["Body"].read())
    lines = lake.decode().splitlines()
    assert sorted(json.loads(line)["eventId"] for line in lines) == sorted(e["eventId"] for e in world.sent)

    # 3. The nightly run, as deployed.
    night = world.night("night-1")
    assert night.status == "SUCCEEDED", (night.error, night.cause)
    assert night.path == NIGHT_PATH
    run_date = night.output["run"]["date"]
    assert {step.name: step.report["valid"] for step in world.emr.steps} == {
        "trending": len(world.sent),
        "recommendations": len(world.sent),
    }
    assert night.output["loaded"]["recommendations"]["items"] == len(viewers) + 1
    assert world.lake_objects(f"recommendations/date={run_date}/_SUCCESS")

    # 4. The rows each viewer sees now come from those plays. ALS ranks a viewer's own group first (the two
    # groups never share a title); past the first few, its scores for titles with few viewers can fall below the
    # other group's, so the check is: the first two titles are the viewer's own group's, and of the first
    # len(own) titles, at least 90% over all viewers.
    own_group_hits = own_group_slots = 0
    for viewer in viewers:
        body = world.get("GET /me/recommendations", viewer.sub, viewer.country)
        assert (body["source"], body["runDate"]) == ("recommendations", run_date), viewer.sub
        shown = _ids(body)
        own = set(GROUPS[viewer.group]) - viewer.played - {WITHDRAWN}
        assert set(shown[:2]) <= own, (viewer.sub, shown)
        own_group_hits += len(set(shown[: len(own)]) & own)
        own_group_slots += len(own)
        assert not set(shown) & viewer.played, (viewer.sub, shown)
        assert WITHDRAWN not in shown
        assert len(shown) == ROW_LENGTH
    assert own_group_hits >= 0.9 * own_group_slots, (own_group_hits, own_group_slots)
    for country in (*COUNTRIES, None):
        body = world.get("GET /trending", "anyone", country)
        assert _ids(body) == _expected_trending(world.sent, yesterday, country), country
        assert (body["scope"], body["date"]) == (country or "ALL", yesterday)
    assert world.get("GET /trending", "anyone", "FR")["scope"] == "ALL"  # no plays in France
    browser = world.get("GET /me/recommendations", world.browser_sub)
    assert browser["source"] == "recommendations"
    assert set(_ids(browser)[:3]) <= set(SPACE) - {TITLE_A, WITHDRAWN}, _ids(browser)  # played one space title

    # The Chromium viewer's catalog page shows both rows, as the API answers them.
    started = time.perf_counter()
    rows = _rows_in_chromium(world, tmp_path / "profile-rows")
    TIMINGS["chromium rows"] = time.perf_counter() - started
    assert rows["recommended heading"] == "Recommended for you"
    assert rows["recommended"] == [t["name"] for t in browser["titles"]]
    us_trending = world.get("GET /trending", world.browser_sub, "US")
    assert rows["trending heading"] == "Trending in United States"
    assert rows["trending"] == [t["name"] for t in us_trending["titles"]]

    # 5. The next day: newcomers start with trending, then all watch one garden title.
    for sub in NEWCOMERS:
        cold = world.get("GET /me/recommendations", sub, "US")
        assert (cold["source"], _ids(cold)) == ("trending", _ids(us_trending))
    assert _ids(us_trending)[0] != NEWCOMERS_TITLE
    for sub in NEWCOMERS:
        newcomer = Viewer(sub, "garden", "US", {NEWCOMERS_TITLE})
        world.post(sub, _viewing(newcomer, NEWCOMERS_TITLE, day, rng))
    assert world.firehose.deliver(world.delivery_stream) is not None
    assert len(world.lake_objects("events/")) == 2
    night = world.night("night-2")
    assert night.status == "SUCCEEDED", (night.error, night.cause)
    after = world.get("GET /trending", "anyone", "US")
    assert _ids(after) == _expected_trending(world.sent, yesterday, "US")
    assert _ids(after)[0] == NEWCOMERS_TITLE
    assert _ids(after) != _ids(us_trending)
    for sub in NEWCOMERS:
        assert world.get("GET /me/recommendations", sub, "US")["source"] == "recommendations"

    # The pointer names the second night; the first night's items stay until they expire, unserved.
    rows_table = client("dynamodb").scan(TableName=world.rows_table)["Items"]
    pointer = next(i for i in rows_table if i["pk"]["S"] == "pointer")
    assert pointer["runId"]["S"] == "night-2"
    runs = Counter(i["run"]["S"] for i in rows_table if i["pk"]["S"] != "pointer")
    assert set(runs) == {"night-1", "night-2"}
    assert all(float(i["expiresAt"]["N"]) > time.time() for i in rows_table if "expiresAt" in i)

    print(
        "\nday in the life:",
        f"{len(world.sent)} events in {len(world.requests)} requests -> {len(world.stream_records())} Kinesis records;",
        ", ".join(f"{name} {seconds:.1f} s" for name, seconds in TIMINGS.items()),
    )
