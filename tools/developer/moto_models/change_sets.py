"""Change sets scoped to their stack, as CloudFormation scopes them.

A change set's name is unique per stack (the CDK CLI names every one
``cdk-deploy-change-set``), but moto 5.2 looks change sets up by name alone and
ignores ``StackName``: deleting a stack's change set deletes another stack's,
describing it finds another stack's, creating a second one of a name
succeeds, so the CDK CLI's second deploy of a stack
waits forever for its old change set "to finish deleting". Here a change set
named by name is looked up in its stack; a name that does not exist there is
``ChangeSetNotFoundException`` (what the CLI waits for); and executing one
deletes the stack's other change sets, as ExecuteChangeSet does ("CloudFormation
deletes all other change sets associated with the stack because they aren't
valid for the updated stack").

A parameter passed with ``UsePreviousValue`` (the CDK CLI passes every parameter
it is not given so) takes the value the stack was given, not moto's resolved
value: for an SSM-typed parameter such as the CDK's ``BootstrapVersion`` that is
the parameter's name, which CloudFormation resolves again (moto passed the
resolved ``"30"`` as a parameter name, and the update failed).
"""

from __future__ import annotations

from typing import Any

from moto.cloudformation import responses
from moto.cloudformation.exceptions import AlreadyExistsException, CloudFormationError
from moto.cloudformation.models import CloudFormationBackend
from moto.core.responses import ActionResult, EmptyResult

_ORIGINAL: dict[str, Any] = {}


class ChangeSetNotFoundError(CloudFormationError):
    code = "ChangeSetNotFoundException"

    def __init__(self, change_set: str, stack: str | None) -> None:
        super().__init__(f"ChangeSet [{change_set}] does not exist" + (f" in stack [{stack}]" if stack else ""))


def find_change_set(backend: CloudFormationBackend, change_set: str, stack: str | None) -> Any:
    """The change set with this ARN, or with this name in the live stack (by name or ID)."""
    if change_set in backend.change_sets:
        return backend.change_sets[change_set]
    for candidate in _of_stack(backend, stack):
        if candidate.change_set_name == change_set:
            return candidate
    raise ChangeSetNotFoundError(change_set, stack)


def _of_stack(backend: CloudFormationBackend, stack: str | None) -> list[Any]:
    """The change sets of the stack, if it exists (a deleted stack's are gone with it, as in CloudFormation)."""
    return [
        cs
        for cs in backend.change_sets.values()
        if stack in (cs.stack_name, cs.stack_id) and cs.stack_id in backend.stacks
    ]


def _describe_change_set(self: Any) -> ActionResult:
    change_set = find_change_set(
        self.cloudformation_backend, self._get_param("ChangeSetName"), self._get_param("StackName")
    )
    return ActionResult(change_set)


def _delete_change_set(self: Any) -> EmptyResult:
    """Deleting a change set that does not exist succeeds (the CDK CLI deletes its own "if it exists")."""
    backend = self.cloudformation_backend
    try:
        change_set = find_change_set(backend, self._get_param("ChangeSetName"), self._get_param("StackName"))
    except ChangeSetNotFoundError:
        return EmptyResult()
    del backend.change_sets[change_set.change_set_id]
    return EmptyResult()


def _list_change_sets(self: Any) -> ActionResult:
    return ActionResult({"Summaries": _of_stack(self.cloudformation_backend, self._get_param("StackName"))})


def _create_change_set(self: Any) -> ActionResult:
    name, stack_name = self._get_param("ChangeSetName"), self._get_param("StackName")
    if any(cs.change_set_name == name for cs in _of_stack(self.cloudformation_backend, stack_name)):
        raise AlreadyExistsException(f"ChangeSet [{name}] already exists in stack [{stack_name}]")
    if self._get_param("ChangeSetType", "CREATE") == "UPDATE":
        stack = self.cloudformation_backend.get_stack(self._get_param("StackName"))
        given = stack.resource_map.input_parameters
        declared = stack.template_dict.get("Parameters", {})
        self.params["Parameters"] = [
            {"ParameterKey": p["ParameterKey"], "ParameterValue": given[p["ParameterKey"]]}
            if p.get("UsePreviousValue") and p["ParameterKey"] in given
            else {"ParameterKey": p["ParameterKey"], "ParameterValue": declared[p["ParameterKey"]]["Default"]}
            if p.get("UsePreviousValue") and "Default" in declared.get(p["ParameterKey"], {})
            else p
            for p in self._get_param("Parameters", [])
        ]
    result: ActionResult = _ORIGINAL["create_change_set"](self)
    return result


def _execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
    executed = find_change_set(self, change_set_name, stack_name)
    # moto's own lookup is by name alone: hand it the ARN.
    _ORIGINAL["execute_change_set"](self, executed.change_set_id, stack_name)
    for change_set_id, other in list(self.change_sets.items()):
        if other is not executed and other.stack_id == executed.stack_id:
            del self.change_sets[change_set_id]


def install_change_set_scoping() -> None:
    """Patch moto (idempotent); wraps whatever ``execute_change_set`` is installed at the time."""
    if _ORIGINAL:
        return
    _ORIGINAL["execute_change_set"] = CloudFormationBackend.execute_change_set
    CloudFormationBackend.execute_change_set = _execute_change_set  # type: ignore[method-assign]
    _ORIGINAL["create_change_set"] = responses.CloudFormationResponse.create_change_set
    responses.CloudFormationResponse.create_change_set = _create_change_set  # type: ignore[method-assign]
    responses.CloudFormationResponse.describe_change_set = _describe_change_set  # type: ignore[method-assign]
    responses.CloudFormationResponse.delete_change_set = _delete_change_set  # type: ignore[method-assign]
    responses.CloudFormationResponse.list_change_sets = _list_change_sets  # type: ignore[method-assign]
