"""Publish, withdraw, and set a title's availability in the catalog of a deployed environment.

    .venv/bin/python -m tools.operator.catalog --env dev show t1a2b3
    .venv/bin/python -m tools.operator.catalog --env dev withdraw t1a2b3
    .venv/bin/python -m tools.operator.catalog --env dev publish t1a2b3
    .venv/bin/python -m tools.operator.catalog --env dev set t1a2b3 --from 2027-01-01T00:00:00Z \\
        --until none --countries US,CA --tier standard --year 2001 --genres comedy,romance --dry-run

Every value is validated before anything is written (titleId, UTC timestamps, the window's order
with what the item already holds, ISO 3166-1 alpha-2 codes, tiers), and each change is one
conditional UpdateItem, so a title the ingest workflow is processing or has failed is never
published, and a change never creates an item. ``--dry-run`` prints the item before and after
and writes nothing. The issuer and the catalog API see a change within ``catalog.cache_seconds``
(docs/operations.md, "The catalog").
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.exceptions import ClientError

from stacks.config import load_config
from stacks.names import CATALOG_TABLE_OUTPUT, CATALOG_TIERS, ENVIRONMENT_NAMES, TITLE_ID_PATTERN, stack_name
from tools.operator.stack_outputs import stack_output

TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
COUNTRY = re.compile(r"[A-Z]{2}")
GENRE = re.compile(r"[a-z0-9][a-z0-9 -]{0,39}")
CLEAR = "none"  # --from none, --until none: no bound on that side; --countries all: every country


class CatalogError(Exception):
    """A value or a title's state that the command refuses; nothing was written."""


def _timestamp(value: str, name: str) -> str | None:
    if value == CLEAR:
        return None
    if not TIMESTAMP.fullmatch(value):
        raise CatalogError(f"{name} must be YYYY-MM-DDTHH:MM:SSZ (UTC) or '{CLEAR}', got {value!r}")
    try:
        datetime.strptime(value, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    except ValueError:
        raise CatalogError(f"{name} is not a real date and time: {value!r}") from None
    return value


def _countries(value: str) -> list[str] | None:
    if value == "all":
        return None
    codes = [code.strip() for code in value.split(",")]
    bad = [code for code in codes if not COUNTRY.fullmatch(code)]
    if bad or not codes:
        raise CatalogError(f"--countries takes ISO 3166-1 alpha-2 codes like US,CA (or 'all'); not {bad}")
    return sorted(set(codes))


@dataclass
class Change:
    """One UpdateItem: attributes to set and to remove, and the condition the item must meet."""

    title_id: str
    set: dict[str, Any] = field(default_factory=dict)  # attribute -> DynamoDB attribute value
    remove: list[str] = field(default_factory=list)
    statuses: tuple[str, ...] = ()  # the item's status must be one of these (empty: any)

    def request(self, table: str) -> dict[str, Any]:
        """The UpdateItem request: every attribute name through a placeholder ("status", "name" are reserved)."""
        used = [*self.set, *self.remove, *(["status"] if self.statuses else [])]
        placeholder = {name: f"#a{i}" for i, name in enumerate(dict.fromkeys(used))}
        values: dict[str, Any] = {f":v{i}": value for i, value in enumerate(self.set.values())}
        clauses = []
        if self.set:
            clauses.append("SET " + ", ".join(f"{placeholder[n]} = :v{i}" for i, n in enumerate(self.set)))
        if self.remove:
            clauses.append("REMOVE " + ", ".join(placeholder[n] for n in self.remove))
        condition = "attribute_exists(titleId)"
        if self.statuses:
            values.update({f":s{i}": {"S": status} for i, status in enumerate(self.statuses)})
            allowed = ", ".join(f":s{i}" for i in range(len(self.statuses)))
            condition += f" AND {placeholder['status']} IN ({allowed})"
        request: dict[str, Any] = {
            "TableName": table,
            "Key": {"titleId": {"S": self.title_id}},
            "UpdateExpression": " ".join(clauses),
            "ConditionExpression": condition,
            "ExpressionAttributeNames": {key: name for name, key in placeholder.items()},
            "ReturnValues": "ALL_NEW",
        }
        if values:
            request["ExpressionAttributeValues"] = values
        return request


def _plain(value: dict[str, Any]) -> Any:
    """A DynamoDB attribute value as plain JSON, for printing."""
    (kind, inner), *_ = value.items()
    if kind == "M":
        return {k: _plain(v) for k, v in inner.items()}
    if kind == "L":
        return [_plain(v) for v in inner]
    if kind == "N":
        return float(inner) if "." in inner else int(inner)
    return inner


def plain_item(item: dict[str, Any]) -> dict[str, Any]:
    return {key: _plain(value) for key, value in sorted(item.items())}


class Catalog:
    def __init__(self, client: Any, table: str) -> None:
        self.client = client
        self.table = table

    def get(self, title_id: str) -> dict[str, Any]:
        if not re.fullmatch(TITLE_ID_PATTERN, title_id):
            raise CatalogError(f"titleId must match {TITLE_ID_PATTERN}, got {title_id!r}")
        item: dict[str, Any] | None = self.client.get_item(
            TableName=self.table, Key={"titleId": {"S": title_id}}, ConsistentRead=True
        ).get("Item")
        if item is None:
            raise CatalogError(f"no title {title_id} in {self.table}")
        return item

    def plan(
        self, title_id: str, action: str, options: argparse.Namespace | None = None
    ) -> tuple[dict[str, Any], Change]:
        """The item as it is and the change ``action`` would make; CatalogError for anything refused."""
        item = self.get(title_id)
        status = item.get("status", {}).get("S")
        if action == "withdraw":
            if status not in ("published", "withdrawn"):
                raise CatalogError(f"{title_id} is {status}: only a published title can be withdrawn")
            return item, Change(title_id, {"status": {"S": "withdrawn"}}, statuses=("published", "withdrawn"))
        if action == "publish":
            if status not in ("withdrawn", "published"):
                raise CatalogError(
                    f"{title_id} is {status}: only a withdrawn title can be published again "
                    "(the ingest workflow publishes a new title once its manifests exist)"
                )
            return item, Change(title_id, {"status": {"S": "published"}}, statuses=("withdrawn", "published"))
        assert options is not None
        return item, self._settings(item, title_id, options)

    @staticmethod
    def _settings(item: dict[str, Any], title_id: str, options: argparse.Namespace) -> Change:
        change = Change(title_id)
        bounds = {}
        for option, attribute in (("available_from", "availableFrom"), ("available_until", "availableUntil")):
            raw = getattr(options, option)
            if raw is None:
                bounds[attribute] = item.get(attribute, {}).get("S")
                continue
            value = _timestamp(raw, f"--{option.removeprefix('available_')}")
            bounds[attribute] = value
            if value is None:
                change.remove.append(attribute)
            else:
                change.set[attribute] = {"S": value}
        if bounds["availableFrom"] and bounds["availableUntil"] and bounds["availableUntil"] <= bounds["availableFrom"]:
            raise CatalogError(
                f"the window would end ({bounds['availableUntil']}) "
                f"before or when it starts ({bounds['availableFrom']})"
            )
        if options.countries is not None:
            codes = _countries(options.countries)
            if codes is None:
                change.remove.append("countries")
            else:
                change.set["countries"] = {"L": [{"S": code} for code in codes]}
        if options.tier is not None:
            if options.tier not in CATALOG_TIERS:
                raise CatalogError(f"--tier must be one of {', '.join(CATALOG_TIERS)}, got {options.tier!r}")
            change.set["tier"] = {"S": options.tier}
        if options.year is not None:
            if not 1870 <= options.year <= 2100:
                raise CatalogError(f"--year must be from 1870 to 2100, got {options.year}")
            change.set["year"] = {"N": str(options.year)}
        if options.synopsis is not None:
            text = options.synopsis.strip()
            if not 1 <= len(text) <= 2000 or any(ord(c) < 32 for c in text):
                raise CatalogError("--synopsis must be 1-2000 characters on one line")
            change.set["synopsis"] = {"S": text}
        if options.genres is not None:
            genres = [g.strip() for g in options.genres.split(",") if g.strip()]
            if not genres or len(genres) > 10 or not all(GENRE.fullmatch(g) for g in genres):
                raise CatalogError("--genres takes 1-10 lowercase words separated by commas, like comedy,romance")
            change.set["genres"] = {"L": [{"S": g} for g in genres]}
        if not change.set and not change.remove:
            raise CatalogError(
                "nothing to set: give --from, --until, --countries, --tier, --year, --synopsis or --genres"
            )
        return change

    def apply(self, change: Change) -> dict[str, Any]:
        try:
            response = self.client.update_item(**change.request(self.table))
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                message = f"{change.title_id} changed while this ran (status or existence); nothing written"
                raise CatalogError(message) from None
            raise
        attributes: dict[str, Any] = response["Attributes"]
        return attributes


def preview(item: dict[str, Any], change: Change) -> dict[str, Any]:
    after = {key: value for key, value in item.items() if key not in change.remove}
    after.update(change.set)
    return after


def table_from_stack(cloudformation: Any, env: str) -> str:
    table = stack_output(cloudformation, stack_name(env, "Storage"), CATALOG_TABLE_OUTPUT)
    if table is None:
        raise CatalogError(f"{stack_name(env, 'Storage')} has no output {CATALOG_TABLE_OUTPUT}; is it deployed?")
    return table


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--env", required=True, choices=ENVIRONMENT_NAMES)
    parser.add_argument("--region", help="default: the environment's configured region")
    parser.add_argument("--table", help="default: the CatalogTableName output of <env>-Storage")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("show", help="print a title's catalog item").add_argument("title_id")
    for name, text in (("publish", "publish a withdrawn title again"), ("withdraw", "stop a title playing")):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("title_id")
        sub.add_argument("--dry-run", action="store_true", help="print the change, write nothing")
    settings = commands.add_parser("set", help="set a title's window, countries, tier or description")
    settings.add_argument("title_id")
    settings.add_argument("--from", dest="available_from", help=f"YYYY-MM-DDTHH:MM:SSZ, or '{CLEAR}'")
    settings.add_argument("--until", dest="available_until", help=f"YYYY-MM-DDTHH:MM:SSZ (exclusive), or '{CLEAR}'")
    settings.add_argument("--countries", help="ISO 3166-1 alpha-2 codes, comma-separated, or 'all'")
    settings.add_argument("--tier", help=" | ".join(CATALOG_TIERS))
    settings.add_argument("--year", type=int)
    settings.add_argument("--synopsis")
    settings.add_argument("--genres", help="comma-separated lowercase words")
    settings.add_argument("--dry-run", action="store_true", help="print the change, write nothing")
    return parser


def main(argv: list[str] | None = None, *, client: Any = None) -> int:
    args = _parser().parse_args(argv)
    region = args.region or load_config()[args.env].region
    try:
        table = args.table or table_from_stack(boto3.client("cloudformation", region_name=region), args.env)
        catalog = Catalog(client or boto3.client("dynamodb", region_name=region), table)
        if args.command == "show":
            print(json.dumps(plain_item(catalog.get(args.title_id)), indent=2, ensure_ascii=False))
            return 0
        item, change = catalog.plan(args.title_id, args.command, args)
        if args.dry_run:
            print(f"dry run: {table} {args.title_id} would change")
            print("before: " + json.dumps(plain_item(item), ensure_ascii=False))
            print("after:  " + json.dumps(plain_item(preview(item, change)), ensure_ascii=False))
            return 0
        updated = catalog.apply(change)
    except CatalogError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    print(f"{args.title_id}: " + json.dumps(plain_item(updated), ensure_ascii=False))
    print("The issuer and GET /catalog see it within catalog.cache_seconds (10 s by default).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
