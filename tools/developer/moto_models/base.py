"""The base class of every model, the registry, and an in-process AWS client.

A model turns one CloudFormation resource into calls on moto's *public AWS
API* (``aws_client(...).create_x(...)``), dispatched in-process to moto's
backends. Writing models against the API rather than against backend
internals keeps them short and stable across moto releases, and means that
whatever the model created is exactly what boto3 ``get_*``/``describe_*``
return afterwards.

Three levels of support, reported per resource:

* ``native``: moto's own CloudFormation model creates it (possibly completed
  by a subclass here that applies properties moto ignores);
* ``emulated``: a model here creates it through moto's service backend;
* ``recorded``: moto has no backend for the type; the model keeps the resolved
  properties and answers ``Ref``/``Fn::GetAtt``, and nothing else.
"""

from __future__ import annotations

import enum
import functools
import threading
import uuid
from collections.abc import Callable
from typing import Any, ClassVar, TypeVar

import boto3
from botocore.config import Config
from moto.cloudformation.exceptions import UnformattedGetAttTemplateException
from moto.core.botocore_stubber import BotocoreStubber
from moto.core.common_models import CloudFormationModel


class Emulation(enum.StrEnum):
    NATIVE = "native"
    EMULATED = "emulated"
    RECORDED = "recorded"


class UnsupportedResourceTypeError(Exception):
    """A template resource whose type neither moto nor these models create."""

    def __init__(self, logical_id: str, resource_type: str) -> None:
        super().__init__(
            f"resource {logical_id} has type {resource_type}, which neither moto nor "
            "tools.developer.moto_models can create; add a model for it"
        )
        self.logical_id = logical_id
        self.resource_type = resource_type


# CloudFormation type -> model class (our models and our completions of moto's).
REGISTRY: dict[str, type[CloudFormationModel]] = {}
# CloudFormation type -> support level, for the types in REGISTRY.
LEVELS: dict[str, Emulation] = {}

_M = TypeVar("_M", bound=type[CloudFormationModel])


def register(resource_type: str, level: Emulation) -> Callable[[_M], _M]:
    def decorate(cls: _M) -> _M:
        if resource_type in REGISTRY:
            raise ValueError(f"two models for {resource_type}: {REGISTRY[resource_type]} and {cls}")
        REGISTRY[resource_type] = cls
        LEVELS[resource_type] = level
        cls.TYPE = resource_type  # type: ignore[attr-defined]
        return cls

    return decorate


class _InProcessStubber(BotocoreStubber):
    """Serves a request from moto's backends, unless ``mock_aws`` is active and serves it already.

    (botocore calls every ``before-send`` handler, and moto's global stubber is one
    of them on every client: without this check, each request would run twice.)
    """

    def __call__(self, event_name: str, request: Any, **kwargs: Any) -> Any:
        from moto.core.models import botocore_stubber

        if botocore_stubber.enabled:
            return None
        return super().__call__(event_name, request, **kwargs)


_STUBBER = _InProcessStubber()
_STUBBER.enabled = True


_SESSION_LOCK = threading.Lock()


@functools.cache
def _session() -> boto3.session.Session:
    """One session for every client: each new session reads botocore's endpoint and service models again."""
    return boto3.session.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto accepts any key; nothing leaves the process)
    )


@functools.cache
def aws_client(service: str, region: str) -> Any:
    """A boto3 client whose every request is served by moto's backends in this process.

    It works whether or not ``mock_aws`` is active (inside an embedded
    ``moto_server`` too), and ignores ``AWS_ENDPOINT_URL``.
    """
    config = Config(ignore_configured_endpoint_urls=True, retries={"max_attempts": 1})  # type: ignore[call-arg]
    with _SESSION_LOCK:  # moto_server's request threads make clients too; a session is not thread-safe
        client: Any = _session().client(service, region_name=region, config=config)  # type: ignore[call-overload]
    client.meta.events.register("before-send", _STUBBER)
    return client


def compact(**values: Any) -> dict[str, Any]:
    """Keyword arguments without the ones that are None (boto3 rejects None)."""
    return {key: value for key, value in values.items() if value is not None}


class ResourceModel(CloudFormationModel):
    """One created resource: its physical ID, attributes and resolved properties.

    ``@register`` sets ``TYPE``; subclasses implement ``create`` (and ``destroy`` when the
    resource exists in a backend). ``create`` returns the physical ID (what
    ``Ref`` gives) and the ``Fn::GetAtt`` attributes.
    """

    TYPE: ClassVar[str] = ""
    # The property that names the resource, when the template may set it.
    NAME_PROPERTY: ClassVar[str | None] = None

    def __init__(
        self,
        *,
        logical_id: str,
        physical_id: str,
        properties: dict[str, Any],
        attributes: dict[str, Any],
        account_id: str,
        region_name: str,
        stack_id: str,
    ) -> None:
        self.logical_resource_id = logical_id
        self.physical_id = physical_id
        self.properties = properties
        self.attributes = attributes
        self.account_id = account_id
        self.region_name = region_name
        self.stack_id = stack_id

    # --- what subclasses implement -------------------------------------------------
    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create the resource; return (physical ID, attributes)."""
        return ctx.name, {}

    def destroy(self) -> None:
        """Delete the resource from its backend (recorded-only models have nothing to delete)."""

    def update(self, props: dict[str, Any]) -> dict[str, Any] | None:
        """Update the resource in place, as CloudFormation does for its type; return its attributes.

        None (the default): the model replaces the resource instead.
        """
        return None

    # --- moto's CloudFormationModel interface -------------------------------------
    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> ResourceModel:
        props: dict[str, Any] = dict(cloudformation_json.get("Properties") or {})
        logical_id: str = kwargs.get("LogicalId", resource_name)
        name = props.get(cls.NAME_PROPERTY) if cls.NAME_PROPERTY else None
        ctx = CreateContext(
            logical_id=logical_id,
            name=str(name) if name else resource_name,
            account_id=account_id,
            region=region_name,
            stack_id=kwargs.get("StackId", ""),
        )
        physical_id, attributes = cls.create(ctx, props)
        return cls(
            logical_id=logical_id,
            physical_id=physical_id,
            properties=props,
            attributes=attributes,
            account_id=account_id,
            region_name=region_name,
            stack_id=ctx.stack_id,
        )

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> ResourceModel:
        props: dict[str, Any] = dict(cloudformation_json.get("Properties") or {})
        attributes = original_resource.update(props)
        if attributes is not None:
            original_resource.properties, original_resource.attributes = props, attributes
            return original_resource  # type: ignore[no-any-return]
        # Replacement semantics: create the new one, then delete the old one. A resource that keeps its
        # name (an update CloudFormation makes in place) is deleted first, so that the name is free.
        name = cls.NAME_PROPERTY and props.get(cls.NAME_PROPERTY)
        in_place = bool(name) and name == original_resource.properties.get(cls.NAME_PROPERTY)
        if in_place:
            original_resource.destroy()
        new = cls.create_from_cloudformation_json(
            new_resource_name,
            cloudformation_json,
            account_id,
            region_name,
            LogicalId=original_resource.logical_resource_id,
            StackId=original_resource.stack_id,
        )
        if not in_place:
            original_resource.destroy()
        return new

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: dict[str, Any], account_id: str, region_name: str
    ) -> None:
        # Not called: tools.developer.moto_models.parser deletes a model through its instance (destroy()).
        raise NotImplementedError(f"{cls.__name__} is deleted through its instance")

    def delete(self, account_id: str, region_name: str) -> None:
        self.destroy()

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return True  # checked when the attribute is read, where the message can name the resource

    def get_cfn_attribute(self, attribute_name: str) -> Any:
        if attribute_name not in self.attributes:
            raise UnformattedGetAttTemplateException()
        return self.attributes[attribute_name]

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    def is_created(self) -> bool:
        return True

    @classmethod
    def emulation(cls) -> Emulation:
        return LEVELS[cls.TYPE]


class CreateContext:
    """What a model's ``create`` knows besides the properties."""

    def __init__(self, *, logical_id: str, name: str, account_id: str, region: str, stack_id: str) -> None:
        self.logical_id = logical_id
        self.name = name
        self.account_id = account_id
        self.region = region
        self.stack_id = stack_id

    def client(self, service: str, region: str | None = None) -> Any:
        return aws_client(service, region or self.region)

    def arn(self, service: str, resource: str, *, region: str | None = None) -> str:
        region_part = self.region if region is None else region
        return f"arn:aws:{service}:{region_part}:{self.account_id}:{resource}"

    @staticmethod
    def random_id(prefix: str = "", length: int = 13) -> str:
        return prefix + uuid.uuid4().hex[:length].upper()


class RecordedModel(ResourceModel):
    """A type moto has no backend for: properties are kept, ``Ref`` gives a generated ID.

    ``ATTRIBUTES`` lists the ``Fn::GetAtt`` attributes the real type has; each is
    answered with the physical ID, or an ARN when its name ends in ``Arn``.
    """

    ATTRIBUTES: ClassVar[tuple[str, ...]] = ()
    ARN_SERVICE: ClassVar[str] = ""

    @classmethod
    def create(cls, ctx: CreateContext, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        physical_id = ctx.name if cls.NAME_PROPERTY and props.get(cls.NAME_PROPERTY) else ctx.random_id()
        arn = ctx.arn(cls.ARN_SERVICE, f"{cls.TYPE.rsplit('::', 1)[-1].lower()}/{physical_id}")
        attributes = {a: arn if a.endswith("Arn") else physical_id for a in cls.ATTRIBUTES}
        return physical_id, attributes
