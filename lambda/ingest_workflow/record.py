"""A finished job as the catalog item's attributes, in DynamoDB's JSON (the workflow writes them natively).

The renditions are the job's own (``Job.OutputGroupDetails``: the size each video output
was encoded at), in the plan's order; where the job reports no size, the planned one.
"""

from __future__ import annotations

from typing import Any

FORMATS = ("hls", "dash")


def _s(value: str) -> dict[str, str]:
    return {"S": value}


def _n(value: float) -> dict[str, str]:
    return {"N": format(value, "g") if isinstance(value, float) else str(value)}


def _output_details(job_result: dict[str, Any]) -> list[dict[str, Any]]:
    job = job_result.get("Job") if isinstance(job_result.get("Job"), dict) else job_result
    groups = job.get("OutputGroupDetails") or [] if isinstance(job, dict) else []
    if not groups or not isinstance(groups[0], dict):
        return []
    details = groups[0].get("OutputDetails") or []
    return [d for d in details if isinstance(d, dict)]


def job_id(job_result: dict[str, Any]) -> str:
    job = job_result.get("Job")
    return str(job.get("Id", "")) if isinstance(job, dict) else ""


def record(plan: dict[str, Any], job_result: dict[str, Any]) -> dict[str, Any]:
    """The published item's attributes: formats, manifests, renditions, duration, poster, thumbnails, job."""
    details = _output_details(job_result)
    renditions = []
    durations = []
    for index, planned in enumerate(plan["renditions"]):
        video = details[index].get("VideoDetails", {}) if index < len(details) else {}
        width = int(video.get("WidthInPx") or planned["width"])
        height = int(video.get("HeightInPx") or planned["height"])
        if index < len(details) and details[index].get("DurationInMs"):
            durations.append(int(details[index]["DurationInMs"]) / 1000)
        renditions.append(
            {
                "M": {
                    "name": _s(planned["name"]),
                    "width": _n(width),
                    "height": _n(height),
                    "maxBitrate": _n(int(planned["maxBitrate"])),
                }
            }
        )
    duration = max(durations) if durations else float(plan["durationSeconds"])
    thumbnails = plan["thumbnails"]
    formats = [f for f in FORMATS if f in plan["publish"]]
    return {
        "formats": [_s(f) for f in formats],
        "manifests": {f: _s(plan["publish"][f]["key"]) for f in formats},
        "protection": plan.get("protection", "none"),
        "renditions": renditions,
        "durationSeconds": format(round(duration, 3), "g"),
        "poster": plan["poster"],
        "thumbnails": {
            "prefix": _s(thumbnails["prefix"]),
            "count": _n(int(thumbnails["count"])),
            "intervalSeconds": _n(int(thumbnails["intervalSeconds"])),
        },
        "jobId": job_id(job_result) or "unknown",
    }
