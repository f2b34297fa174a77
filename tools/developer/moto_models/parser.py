"""Changes to moto's CloudFormation parser, applied by ``install()``.

1. Resource types are looked up in our ``REGISTRY`` before moto's own models,
   and ``Custom::*`` types only there (moto would invoke the provider Lambda
   through Docker, which hangs without it).
2. **No silent skips**: a resource whose type nobody supports fails the stack
   with a ``ValidationError`` naming its logical ID and type (moto logs a
   warning and leaves it out). So does a ``Fn::GetAtt`` that a model cannot
   answer (moto would drop the property).
3. ``Fn::GetStackOutput`` (CDK's weak cross-stack references) is resolved from
   the producing stack's outputs, in its own region, and again on every stack
   update, as CloudFormation does: a resource whose template is unchanged but
   whose references now resolve to other values is updated (moto compared the
   template text only). A resource moto cannot update fails the update, naming
   it (moto replaced it with nothing).
4. Stack deletion deletes what moto's models cannot (``deleters.py``), and
   fails naming any other resource it cannot delete (moto skips it silently).
   Resources are deleted in reverse creation order, not moto's arbitrary order.
5. Termination protection: ``UpdateTerminationProtection`` is implemented, and
   ``DeleteStack`` refuses a protected stack, as CloudFormation does.
6. A stack created through a change set (the CDK CLI's way) gets its outputs
   and exports; moto kept those of the empty template the change set replaced.
7. Dynamic references (``{{resolve:secretsmanager:…}}``, ``{{resolve:ssm:…}}``)
   are resolved, as CloudFormation does before creating a resource; moto passed
   the reference text on.
8. A ``TemplateURL`` on ``http://127.0.0.1:PORT/bucket/key`` is read path-style
   (moto only recognizes ``localhost``), which is what the CDK CLI sends when
   ``AWS_ENDPOINT_URL`` points at a local moto server.
"""

from __future__ import annotations

import ipaddress
import json
import re
from typing import Any
from urllib.parse import urlparse

from botocore.exceptions import ClientError
from moto.cloudformation import parsing, responses
from moto.cloudformation import utils as cfn_utils
from moto.cloudformation.exceptions import CloudFormationError, ValidationError
from moto.cloudformation.models import CloudFormationBackend
from moto.core.exceptions import ServiceException, _RESTError
from moto.core.responses import ActionResult

from tools.developer.moto_models.base import (
    LEVELS,
    REGISTRY,
    Emulation,
    ResourceModel,
    UnsupportedResourceTypeError,
    aws_client,
)
from tools.developer.moto_models.deleters import DELETED_WITH_PARENT, run_deleter

_ORIGINAL: dict[str, Any] = {}


def support_level(resource_type: str) -> Emulation | None:
    """How a resource type is created, or None when nothing supports it."""
    if resource_type in LEVELS:
        return LEVELS[resource_type]
    if resource_type.startswith("Custom::") or resource_type in parsing.NULL_MODELS:
        return None
    native = parsing.get_model_map().get(resource_type)
    if native is None or resource_type == "AWS::SERVICE::RESOURCE":
        return None
    return Emulation.NATIVE


def _resource_class_from_type(resource_type: str) -> Any:
    if resource_type in REGISTRY:
        return REGISTRY[resource_type]
    if support_level(resource_type) is None:
        return None
    return parsing.get_model_map()[resource_type]


def _parse_and_create_resource(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    condition = resource_json.get("Condition")
    if not (condition and not resources_map.lazy_condition_map[condition]):
        resource_type = resource_json.get("Type", "")
        if support_level(resource_type) is None:
            raise ValidationError(message=str(UnsupportedResourceTypeError(logical_id, resource_type)))
    try:
        created = _ORIGINAL["parse_and_create_resource"](
            logical_id, resource_json, resources_map, account_id, region_name
        )
        _record_weak_values(resources_map, logical_id, resource_json)
        return created
    except CloudFormationError:
        raise
    except (KeyError, TypeError, AttributeError, ValueError, ClientError, ServiceException, _RESTError) as error:
        # A KeyError would otherwise be swallowed by Mapping.get() in moto's Fn::GetAtt handling,
        # and reported as "references undefined resource". A service's own error (a bucket or log
        # group name taken) would reach the CloudFormation client in that service's protocol.
        raise ValidationError(
            message=f"resource {logical_id} ({resource_json.get('Type')}) could not be created: {_describe(error)}"
        ) from error


def _weak_references(node: Any) -> list[Any]:
    """Every ``Fn::GetStackOutput`` in a resource's template, in document order."""
    if isinstance(node, dict):
        if "Fn::GetStackOutput" in node:
            return [node["Fn::GetStackOutput"]]
        return [spec for value in node.values() for spec in _weak_references(value)]
    if isinstance(node, list):
        return [spec for value in node for spec in _weak_references(value)]
    return []


def _weak_values(resource_json: dict[str, Any], resources_map: Any) -> list[Any]:
    return [_get_stack_output(spec, resources_map) for spec in _weak_references(resource_json)]


def _record_weak_values(resources_map: Any, logical_id: str, resource_json: dict[str, Any]) -> None:
    """What the resource's weak references resolved to when it was created or updated."""
    if not hasattr(resources_map, "weak_values"):
        resources_map.weak_values = {}
    resources_map.weak_values[logical_id] = _weak_values(resource_json, resources_map)


def _parse_and_update_resource(
    logical_id: str, resource_json: dict[str, Any], resources_map: Any, account_id: str, region_name: str
) -> Any:
    updated = _ORIGINAL["parse_and_update_resource"](logical_id, resource_json, resources_map, account_id, region_name)
    if updated is None:
        raise ValidationError(
            message=f"resource {logical_id} ({resource_json.get('Type')}): moto cannot update this type"
        )
    _record_weak_values(resources_map, logical_id, resource_json)
    return updated


def _build_resource_diff(self: Any, other_template: dict[str, Any], parameters: dict[str, Any] | None = None) -> Any:
    diff = _ORIGINAL["build_resource_diff"](self, other_template, parameters)
    recorded = getattr(self, "weak_values", {})
    for logical_id, resource_json in other_template.get("Resources", {}).items():
        unchanged = self._resource_json_map.get(logical_id) == resource_json and logical_id not in diff["Modify"]
        if unchanged and logical_id in recorded and _weak_values(resource_json, self) != recorded[logical_id]:
            diff["Modify"].append(logical_id)
    return diff


def _describe(error: Exception) -> str:
    if isinstance(error, ServiceException):
        return f"{error.code}: {error.message}"
    if isinstance(error, _RESTError):
        return f"{error.error_type}: {error.message}"
    return f"{type(error).__name__}: {error}"


def _get_stack_output(spec: Any, resources_map: Any) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    spec = clean_json(spec, resources_map)
    if not isinstance(spec, dict) or not {"StackName", "OutputName"} <= spec.keys():
        raise ValidationError(message=f"Fn::GetStackOutput needs StackName and OutputName, got {spec!r}")
    account = resources_map["AWS::AccountId"]
    region = spec.get("Region") or resources_map["AWS::Region"]
    backend = cloudformation_backends[account][region]
    for stack in backend.stacks.values():
        if spec["StackName"] in (stack.name, stack.stack_id):
            for output in stack.outputs or []:
                if output["OutputKey"] == spec["OutputName"]:
                    return output["OutputValue"]
            raise ValidationError(
                message=f"Fn::GetStackOutput: stack {spec['StackName']} in {region} has no output {spec['OutputName']}"
            )
    raise ValidationError(message=f"Fn::GetStackOutput: stack {spec['StackName']} does not exist in {region}")


_DYNAMIC_REFERENCE = re.compile(r"\{\{resolve:(secretsmanager|ssm|ssm-secure):([^{}]+)\}\}")


def _resolve_dynamic_reference(match: re.Match[str], region: str) -> str:
    """``{{resolve:secretsmanager:id:SecretString:key:stage:version}}`` or ``{{resolve:ssm:name:version}}``."""
    service, reference = match.group(1), match.group(2)
    if service == "secretsmanager":
        # The secret ID may be an ARN, which has colons of its own: the last five fields are ours.
        parts = reference.split(":")
        secret_id, rest = (":".join(parts[:7]), parts[7:]) if reference.startswith("arn:") else (parts[0], parts[1:])
        rest += [""] * (4 - len(rest))
        _, json_key, stage, version = rest[:4]
        lookup = {"SecretId": secret_id}
        if version:
            lookup["VersionId"] = version
        elif stage:
            lookup["VersionStage"] = stage
        value: str = aws_client("secretsmanager", region).get_secret_value(**lookup)["SecretString"]
        return str(json.loads(value)[json_key]) if json_key else value
    name, _, version = reference.partition(":")
    parameter = f"{name}:{version}" if version else name
    result: str = aws_client("ssm", region).get_parameter(Name=parameter, WithDecryption=True)["Parameter"]["Value"]
    return result


def clean_json(resource_json: Any, resources_map: Any) -> Any:
    if isinstance(resource_json, str) and "{{resolve:" in resource_json:
        region = resources_map["AWS::Region"]
        return _DYNAMIC_REFERENCE.sub(lambda m: _resolve_dynamic_reference(m, region), resource_json)
    if isinstance(resource_json, dict):
        if "Fn::GetStackOutput" in resource_json:
            return _get_stack_output(resource_json["Fn::GetStackOutput"], resources_map)
        if "Fn::GetAtt" in resource_json:
            result = _ORIGINAL["clean_json"](resource_json, resources_map)
            if result is None or (isinstance(result, dict) and "Fn::GetAtt" in result):
                logical_id, attribute = resource_json["Fn::GetAtt"][0], resource_json["Fn::GetAtt"][1]
                raise ValidationError(
                    message=f"Fn::GetAtt {logical_id}.{attribute}: the model of {logical_id} does not "
                    "provide this attribute"
                )
            return result
    result = _ORIGINAL["clean_json"](resource_json, resources_map)
    if isinstance(result, str) and "{{resolve:" in result:  # made by Fn::Join or Fn::Sub
        return clean_json(result, resources_map)
    return result


def _has_moto_delete(resource: Any) -> bool:
    if callable(getattr(resource, "delete", None)):
        return True
    return not hasattr(type(resource).delete_from_cloudformation_json, "__isabstractmethod__")


def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
    resource_type = resource_json.get("Type", "")
    if isinstance(parsed_resource, ResourceModel):
        parsed_resource.destroy()
    elif resource_type in DELETED_WITH_PARENT or run_deleter(resource_type, parsed_resource, self._region_name):
        return
    elif _has_moto_delete(parsed_resource):
        _ORIGINAL["_delete_resource"](self, parsed_resource, resource_json)
    else:
        logical_id = getattr(parsed_resource, "logical_resource_id", "?")
        raise ValidationError(message=f"resource {logical_id} ({resource_type}): moto cannot delete this type")


def _delete_resources(self: Any) -> None:
    """Delete in reverse creation order (a valid reverse dependency order), keeping retained resources.

    moto deletes in arbitrary order and retries failures, and gives up quietly on
    resources it cannot delete. Reverse creation order matters for buckets: a
    bucket that receives access logs must be emptied after the buckets that log
    to it are gone (moto delivers access logs at once).
    """
    created = [key for key in self._parsed_resources if key in self._resource_json_map]
    for logical_id in reversed(created):
        resource_json = self._resource_json_map[logical_id]
        if resource_json.get("DeletionPolicy") in ("Retain", "RetainExceptOnCreate"):
            continue
        resource = self._parsed_resources[logical_id]
        if resource is None or isinstance(resource, str):
            continue
        try:
            self._delete_resource(resource, resource_json)
        except ValidationError:
            raise
        except Exception as error:
            raise ValidationError(
                message=f"resource {logical_id} ({resource_json.get('Type')}) could not be deleted: "
                f"{type(error).__name__}: {error}"
            ) from error
        self._parsed_resources.pop(logical_id)


def _update_termination_protection(self: Any) -> Any:
    stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
    stack.enable_termination_protection = self._get_bool_param("EnableTerminationProtection")
    return ActionResult({"StackId": stack.stack_id})


def _delete_stack(self: Any, name_or_stack_id: str) -> None:
    for stack in list(self.stacks.values()):
        if name_or_stack_id in (stack.stack_id, stack.name) and stack.enable_termination_protection:
            raise ValidationError(
                message=f"Stack [{stack.name}] cannot be deleted while TerminationProtection is enabled"
            )
    _ORIGINAL["delete_stack"](self, name_or_stack_id)


def _execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
    """moto applies the change set's resources but keeps the stack's old template and outputs.

    A stack created through a change set (as the CDK CLI creates every stack) then
    has no outputs: this is why the CDK toolkit stack's ``BootstrapVersion`` went missing.
    """
    _ORIGINAL["execute_change_set"](self, change_set_name, stack_name)
    change_set = self.change_sets.get(change_set_name) or next(
        cs for cs in self.change_sets.values() if cs.change_set_name == change_set_name
    )
    stack = self.stacks[change_set.stack_id]
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        self.exports[export.name] = export


def _get_stack_from_s3_url(template_url: str, account_id: str, partition: str) -> str:
    host = urlparse(template_url).hostname or ""
    try:
        local = ipaddress.ip_address(host).is_loopback
    except ValueError:
        local = False
    if local:
        template_url = template_url.replace(f"//{host}", "//localhost", 1)
    result: str = _ORIGINAL["get_stack_from_s3_url"](template_url, account_id=account_id, partition=partition)
    return result


def install_parser() -> None:
    """Patch moto's parser (idempotent). Import the model modules first: ``tools.developer.moto_models`` does."""
    if _ORIGINAL:
        return
    _ORIGINAL["clean_json"] = parsing.clean_json
    _ORIGINAL["parse_and_create_resource"] = parsing.parse_and_create_resource
    _ORIGINAL["get_stack_from_s3_url"] = cfn_utils.get_stack_from_s3_url
    _ORIGINAL["_delete_resource"] = parsing.ResourceMap._delete_resource
    parsing.ResourceMap._delete_resource = _delete_resource  # type: ignore[method-assign]
    parsing.ResourceMap.delete = _delete_resources  # type: ignore[method-assign]
    _ORIGINAL["delete_stack"] = CloudFormationBackend.delete_stack
    _ORIGINAL["execute_change_set"] = CloudFormationBackend.execute_change_set
    CloudFormationBackend.execute_change_set = _execute_change_set  # type: ignore[method-assign]
    CloudFormationBackend.delete_stack = _delete_stack  # type: ignore[method-assign]
    responses.CloudFormationResponse.update_termination_protection = _update_termination_protection  # type: ignore[attr-defined]
    parsing.clean_json = clean_json
    parsing.resource_class_from_type = _resource_class_from_type
    parsing.parse_and_create_resource = _parse_and_create_resource
    _ORIGINAL["parse_and_update_resource"] = parsing.parse_and_update_resource
    parsing.parse_and_update_resource = _parse_and_update_resource
    _ORIGINAL["build_resource_diff"] = parsing.ResourceMap.build_resource_diff
    parsing.ResourceMap.build_resource_diff = _build_resource_diff  # type: ignore[method-assign]
    responses.get_stack_from_s3_url = _get_stack_from_s3_url  # type: ignore[attr-defined]
