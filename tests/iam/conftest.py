"""The dev stage deployed into moto once per module, seeded, with each function's own role assumed.

``proof`` deploys with the deployer, seeds what each scenario needs (with moto's
default, unchecked credentials), adds a probe IAM user to each function role's trust
policy, assumes the role with IAM enforced (so moto checks the trust policy and the
user's own ``sts:AssumeRole`` permission), and puts the trust policy back as
synthesized. ``Proof.run`` then runs a function's real handler in-process under
those credentials, with IAM enforced and the function's environment as deployed.
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.iam.models import iam_backends

from tests.iam.enforcement import Decision, enforced
from tests.iam.scenarios import SCENARIOS, Scenario
from tests.support.aws import ACCOUNT, REGION, client
from tests.support.synth import ROOT, Synthesized
from tools.developer import moto_models
from tools.developer.rehearsal.deployer import Deployer

moto_models.install()

STAGE = "dev"
PROBE_USER = "least-privilege-probe"
_CREDENTIAL_VARIABLES = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN")


def admin(service: str, region: str = REGION) -> Any:
    """A client with moto's default credentials: unchecked while IAM is not enforced."""
    return client(service, region)


@dataclass(frozen=True)
class Call:
    """One AWS API call a handler made, as botocore saw its response."""

    operation: str  # "s3.HeadObject"
    status: int
    code: str

    @property
    def denied(self) -> bool:
        return self.status == 403 or self.code.startswith("AccessDenied")


@dataclass
class Run:
    """A handler run: what it returned (or raised), why that is not success (None if it is), its calls."""

    result: Any
    failure: str | None
    calls: list[Call]
    decisions: list[Decision]

    @property
    def denied(self) -> list[Call]:
        return [c for c in self.calls if c.denied]


@dataclass(frozen=True)
class FunctionUnderTest:
    stack: str  # "Playback"
    logical_id: str
    package: str  # "signed_url"
    role_name: str
    environment: dict[str, str]
    log_group: str
    credentials: dict[str, str] = field(repr=False)


@dataclass(frozen=True)
class StatementRef:
    """One statement of one of a role's inline policies."""

    policy: str
    index: int
    statement: dict[str, Any]


@dataclass
class Proof:
    functions: dict[str, FunctionUnderTest]  # by package
    probe: Any  # an STS client of the probe user, who may assume each function role once its trust policy names it

    @property
    def iam(self) -> Any:
        return iam_backends[ACCOUNT]["aws"]

    def policy(self, role_name: str, policy_name: str) -> dict[str, Any]:
        document = self.iam.get_role_policy(role_name, policy_name)[1]
        return json.loads(document) if isinstance(document, str) else dict(document)

    def statements(self, function: FunctionUnderTest) -> list[StatementRef]:
        refs = []
        for policy_name in self.iam.list_role_policies(function.role_name):
            statements = self.policy(function.role_name, policy_name)["Statement"]
            statements = statements if isinstance(statements, list) else [statements]
            refs += [StatementRef(policy_name, i, s) for i, s in enumerate(statements)]
        return refs

    @contextmanager
    def replaced(
        self, function: FunctionUnderTest, ref: StatementRef, statement: dict[str, Any] | None
    ) -> Iterator[None]:
        """The role's policy with one statement replaced (None: removed), in moto's IAM backend; then restored."""
        original = self.policy(function.role_name, ref.policy)
        statements = list(original["Statement"])
        if statement is None:
            del statements[ref.index]
        else:
            statements[ref.index] = statement
        if statements:
            self.iam.put_role_policy(function.role_name, ref.policy, json.dumps({**original, "Statement": statements}))
        else:  # IAM refuses a policy without statements
            self.iam.delete_role_policy(function.role_name, ref.policy)
        try:
            yield
        finally:
            self.iam.put_role_policy(function.role_name, ref.policy, json.dumps(original))
        assert self.policy(function.role_name, ref.policy) == original

    def run(self, function: FunctionUnderTest) -> Run:
        """The function's handler, in-process, as a cold container under the function's own role."""
        scenario = SCENARIOS[function.package]
        module = importlib.import_module(f"{function.package}.handler")
        calls: list[Call] = []

        def record(http_response: Any, parsed: dict[str, Any], model: Any, **_: Any) -> None:
            code = str(parsed.get("Error", {}).get("Code", "")) if isinstance(parsed, dict) else ""
            calls.append(Call(f"{model.service_model.service_name}.{model.name}", http_response.status_code, code))

        saved = {name: os.environ.get(name) for name in (*_CREDENTIAL_VARIABLES, *function.environment)}
        os.environ.update(function.environment)
        os.environ.pop("AWS_SECURITY_TOKEN", None)
        os.environ.update(
            AWS_ACCESS_KEY_ID=function.credentials["AccessKeyId"],
            AWS_SECRET_ACCESS_KEY=function.credentials["SecretAccessKey"],
            AWS_SESSION_TOKEN=function.credentials["SessionToken"],
        )
        boto3.setup_default_session(region_name=REGION)  # reads the role's credentials from the environment
        boto3.DEFAULT_SESSION.events.register("after-call", record)  # type: ignore[union-attr]
        scenario.reset()
        try:
            with enforced() as enforcement, scenario.patched():
                request = scenario.event(function.environment)
                results: list[Any] = []
                for one in request if isinstance(request, list) else [request]:  # a list: requests in turn
                    try:
                        results.append(module.handler(one, None))
                    except Exception as exc:  # a handler that raises fails the invocation
                        results.append(exc)
                result: Any = results if isinstance(request, list) else results[0]
            failure = scenario.failure(result, function.environment)
        finally:
            scenario.reset()
            boto3.DEFAULT_SESSION = None
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
        return Run(result, failure, calls, enforcement.decisions)


def project_functions(synthesized: Synthesized, stage: str = STAGE) -> list[tuple[str, str, dict[str, Any]]]:
    """(stack name, logical ID, properties) of every function whose handler is a package under lambda/."""
    found = []
    for stack in synthesized.stacks:
        if stack.stage != stage:
            continue
        for logical_id, resource in stack.resources.items():
            if resource["Type"] != "AWS::Lambda::Function":
                continue
            package = str(resource["Properties"].get("Handler", "")).split(".")[0]
            if package_exists(package):
                found.append((stack.display_name.split("/", 1)[1], logical_id, resource["Properties"]))
    return found


def package_exists(package: str) -> bool:
    return bool(package) and (ROOT / "lambda" / package / "handler.py").is_file()


@pytest.fixture(scope="module")
def proof(synthesized: Synthesized) -> Iterator[Proof]:
    with mock_aws():
        deployer = Deployer.for_stage(synthesized.outdir, STAGE, admin)
        records = {r.display_name.split("/", 1)[1]: r for r in deployer.deploy()}
        iam = admin("iam")
        iam.create_user(UserName=PROBE_USER)
        key = iam.create_access_key(UserName=PROBE_USER)["AccessKey"]
        probe_arn = iam.get_user(UserName=PROBE_USER)["User"]["Arn"]
        functions: dict[str, FunctionUnderTest] = {}
        trust: dict[str, dict[str, Any]] = {}
        roles: dict[str, str] = {}
        for stack, logical_id, props in project_functions(synthesized):
            physical_ids = {r.logical_id: r.physical_id for r in records[stack].resources}
            physical = physical_ids[logical_id]
            log_group = props.get("LoggingConfig", {}).get("LogGroup", {})  # moto does not keep LoggingConfig
            configuration = admin("lambda").get_function_configuration(FunctionName=physical)
            role_name = configuration["Role"].split("/")[-1]
            package = configuration["Handler"].split(".")[0]
            roles[package] = configuration["Role"]
            trust[role_name] = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]
            functions[package] = FunctionUnderTest(
                stack=stack,
                logical_id=logical_id,
                package=package,
                role_name=role_name,
                environment=configuration.get("Environment", {}).get("Variables", {}),
                log_group=physical_ids[log_group["Ref"]] if "Ref" in log_group else "",
                credentials={},
            )
            iam.put_user_policy(
                UserName=PROBE_USER,
                PolicyName=f"assume-{package}",
                PolicyDocument=json.dumps(
                    {
                        "Version": "2012-10-17",
                        "Statement": [
                            {"Effect": "Allow", "Action": "sts:AssumeRole", "Resource": configuration["Role"]}
                        ],
                    }
                ),
            )
        for package, function in functions.items():
            SCENARIOS[package].seed(admin, function.environment)
        # The probe joins each trust policy only while it assumes the role.
        for function in functions.values():
            document = trust[function.role_name]
            probe = {"Effect": "Allow", "Principal": {"AWS": probe_arn}, "Action": "sts:AssumeRole"}
            iam.update_assume_role_policy(
                RoleName=function.role_name,
                PolicyDocument=json.dumps({**document, "Statement": [*document["Statement"], probe]}),
            )
        sts = boto3.client(
            "sts",
            region_name=REGION,
            aws_access_key_id=key["AccessKeyId"],
            aws_secret_access_key=key["SecretAccessKey"],
        )
        with enforced():
            credentials = {
                package: sts.assume_role(RoleArn=arn, RoleSessionName=f"proof-{package}")["Credentials"]
                for package, arn in roles.items()
            }
        for function in functions.values():
            iam.update_assume_role_policy(
                RoleName=function.role_name, PolicyDocument=json.dumps(trust[function.role_name])
            )
        functions = {
            package: FunctionUnderTest(**{**vars(f), "credentials": credentials[package]})
            for package, f in functions.items()
        }
        yield Proof(functions, sts)


__all__ = ["Proof", "Run", "Scenario", "admin"]
