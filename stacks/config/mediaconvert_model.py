"""Checks a MediaConvert request against botocore's bundled service model, offline, before any deploy.

``problems(operation, request)`` returns every problem found, each naming where:

* botocore's own ``ParamValidator``: unknown or misspelled keys, wrong types, missing
  required members, values below a minimum (it never checks enums or maximums);
* enum membership and maximums (string lengths, numbers, list lengths), walking the
  same model, so ``RateControlMode: "qvbr"`` or ``QvbrQualityLevel: 11`` fail too;
* rules of the service that the model does not state and that would only fail at
  deploy or when a job runs (``_SERVICE_RULES``, each with where it is documented);
* unresolved CDK tokens, which would reach MediaConvert as text.

The stacks check every job template they synthesize (``stacks/constructs/``), and
the tests check the synthesized templates and the jobs the workflow submits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

from stacks.config.base import ConfigError

SERVICE = "mediaconvert"


class MediaConvertSettingsError(ConfigError):
    """A MediaConvert document that MediaConvert would refuse (synth stops with its one-line message)."""


@cache
def _model() -> Any:
    import botocore.session  # only synth and the tests need it

    return botocore.session.get_session().get_service_model(SERVICE)


def input_shape(operation: str) -> Any:
    return _model().operation_model(operation).input_shape


def _botocore(operation: str, request: dict[str, Any]) -> list[str]:
    from botocore.validate import ParamValidator

    report = ParamValidator().validate(request, input_shape(operation))
    if not report.has_errors():
        return []
    return [line.strip() for line in report.generate_report().splitlines() if line.strip()]


def _strict(value: Any, shape: Any, path: str) -> Iterator[str]:
    """Enums and maximums, which botocore's validator leaves out."""
    kind = shape.type_name
    maximum = shape.metadata.get("max")
    if kind == "structure" and isinstance(value, dict):
        for key, member in value.items():
            if key in shape.members:
                yield from _strict(member, shape.members[key], f"{path}.{key}")
    elif kind == "list" and isinstance(value, list):
        if maximum is not None and len(value) > maximum:
            yield f"{path}: {len(value)} items, more than the maximum {maximum}"
        for index, item in enumerate(value):
            yield from _strict(item, shape.member, f"{path}[{index}]")
    elif kind == "map" and isinstance(value, dict):
        for key, item in value.items():
            yield from _strict(item, shape.value, f"{path}[{key!r}]")
    elif kind == "string" and isinstance(value, str):
        if shape.enum and value not in shape.enum:
            yield f"{path}: {value!r} is not one of {list(shape.enum)}"
        if maximum is not None and len(value) > maximum:
            yield f"{path}: {len(value)} characters, more than the maximum {maximum}"
    elif kind in ("integer", "long", "double", "float") and isinstance(value, int | float):
        yield from (
            [f"{path}: {value} is above the maximum {maximum}"] if maximum is not None and value > maximum else []
        )


def _tokens(value: Any, path: str) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _tokens(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _tokens(item, f"{path}[{index}]")
    elif isinstance(value, str) and ("${Token[" in value or "#{Token[" in value):
        yield f"{path}: an unresolved CDK token ({value[:40]}...) would reach MediaConvert as text"


def _outputs(settings: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(path, group type, output) of every output of every group."""
    for g, group in enumerate(settings.get("OutputGroups", [])):
        kind = group.get("OutputGroupSettings", {}).get("Type", "")
        for o, output in enumerate(group.get("Outputs", [])):
            yield f"Settings.OutputGroups[{g}].Outputs[{o}]", kind, output


def _codec(output: dict[str, Any]) -> str:
    return str(output.get("VideoDescription", {}).get("CodecSettings", {}).get("Codec", ""))


def _qvbr_needs_max_bitrate(settings: dict[str, Any]) -> Iterator[str]:
    """H264Settings.MaxBitrate: "Required when Rate control mode is QVBR" (MediaConvert API reference)."""
    for path, _kind, output in _outputs(settings):
        h264 = output.get("VideoDescription", {}).get("CodecSettings", {}).get("H264Settings", {})
        if h264.get("RateControlMode") == "QVBR" and "MaxBitrate" not in h264:
            yield f"{path}: QVBR without MaxBitrate (MediaConvert requires it)"


def _cmaf_outputs(settings: dict[str, Any]) -> Iterator[str]:
    """A CMAF group's outputs are CMFC, each one elementary stream (MediaConvert user guide, "CMAF group")."""
    for path, kind, output in _outputs(settings):
        if kind != "CMAF_GROUP_SETTINGS":
            continue
        if output.get("ContainerSettings", {}).get("Container") != "CMFC":
            yield f"{path}: a CMAF group's outputs must use the CMFC container"
        streams = ("VideoDescription" in output) + bool(output.get("AudioDescriptions"))
        if streams != 1:
            yield f"{path}: a CMAF output carries exactly one video or one audio stream, not {streams}"


def _frame_capture(settings: dict[str, Any]) -> Iterator[str]:
    """FRAME_CAPTURE outputs are RAW in a file group (MediaConvert user guide, "Creating thumbnails")."""
    for path, kind, output in _outputs(settings):
        if _codec(output) != "FRAME_CAPTURE":
            continue
        if kind != "FILE_GROUP_SETTINGS" or output.get("ContainerSettings", {}).get("Container") != "RAW":
            yield f"{path}: frame capture needs the RAW container in a file group"


def _even_dimensions(settings: dict[str, Any]) -> Iterator[str]:
    """4:2:0 video needs even widths and heights (the service rounds or refuses odd ones)."""
    for path, _kind, output in _outputs(settings):
        description = output.get("VideoDescription", {})
        for dimension in ("Width", "Height"):
            value = description.get(dimension)
            if isinstance(value, int) and value % 2:
                yield f"{path}.VideoDescription.{dimension}: {value} is odd"


def _audio_groups(settings: dict[str, Any]) -> Iterator[str]:
    """Every AudioRenditionSets names an AudioGroupId of the same group (otherwise the variant has no audio)."""
    for g, group in enumerate(settings.get("OutputGroups", [])):
        outputs = group.get("Outputs", [])
        groups = {o.get("ContainerSettings", {}).get("CmfcSettings", {}).get("AudioGroupId") for o in outputs}
        for o, output in enumerate(outputs):
            sets = output.get("ContainerSettings", {}).get("CmfcSettings", {}).get("AudioRenditionSets")
            for name in (sets or "").split(","):
                if name and name not in groups:
                    yield f"Settings.OutputGroups[{g}].Outputs[{o}]: audio rendition set {name!r} has no audio output"


def _segments_hold_whole_gops(settings: dict[str, Any]) -> Iterator[str]:
    """With GOP_MULTIPLE segment control, a segment and a fragment are whole GOPs of GopSize seconds."""
    for g, group in enumerate(settings.get("OutputGroups", [])):
        cmaf = group.get("OutputGroupSettings", {}).get("CmafGroupSettings", {})
        if cmaf.get("SegmentLengthControl") != "GOP_MULTIPLE":
            continue
        for _path, _kind, output in _outputs({"OutputGroups": [group]}):
            h264 = output.get("VideoDescription", {}).get("CodecSettings", {}).get("H264Settings", {})
            gop = h264.get("GopSize")
            if h264.get("GopSizeUnits") != "SECONDS" or not gop:
                continue
            for length in ("SegmentLength", "FragmentLength"):
                if length in cmaf and cmaf[length] % gop:
                    yield f"Settings.OutputGroups[{g}]: {length} {cmaf[length]} s is not a whole number of {gop} s GOPs"


_SERVICE_RULES: tuple[Callable[[dict[str, Any]], Iterator[str]], ...] = (
    _qvbr_needs_max_bitrate,
    _cmaf_outputs,
    _frame_capture,
    _even_dimensions,
    _audio_groups,
    _segments_hold_whole_gops,
)


def problems(operation: str, request: dict[str, Any]) -> list[str]:
    """Everything wrong with ``request`` (``CreateJobTemplate`` or ``CreateJob``), or []."""
    found = _botocore(operation, request)
    found += list(_strict(request, input_shape(operation), ""))
    found += list(_tokens(request, ""))
    settings = request.get("Settings")
    if isinstance(settings, dict):
        for rule in _SERVICE_RULES:
            found += list(rule(settings))
    return [line.lstrip(".") for line in found]


def check(operation: str, request: dict[str, Any], what: str) -> None:
    """Raise ``MediaConvertSettingsError`` naming ``what`` and every problem of ``request``."""
    found = problems(operation, request)
    if found:
        raise MediaConvertSettingsError(f"{what}: MediaConvert would refuse {operation}: " + "; ".join(found))
