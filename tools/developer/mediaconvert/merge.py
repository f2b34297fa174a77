"""How a job's settings combine with its job template's: our model of MediaConvert's merge.

A job created from a template sends only what differs (here: the input file and each output
group's destination), and MediaConvert applies it over the template: objects merge key by
key, lists merge item by item (the first of the job's with the first of the template's),
anything else the job gives replaces the template's. AWS's own solutions rely on this
(a job sending only ``OutputGroups[i].OutputGroupSettings.CmafGroupSettings.Destination``);
no AWS document states the rule, so it is written once, here, and the workflow sends
nothing that depends on more than it.
"""

from __future__ import annotations

import copy
from typing import Any


def merged(template: Any, job: Any) -> Any:
    """``job`` applied over ``template``."""
    if isinstance(template, dict) and isinstance(job, dict):
        result = copy.deepcopy(template)
        for key, value in job.items():
            result[key] = merged(template[key], value) if key in template else copy.deepcopy(value)
        return result
    if isinstance(template, list) and isinstance(job, list):
        items = []
        for index in range(max(len(template), len(job))):
            if index < len(template) and index < len(job):
                items.append(merged(template[index], job[index]))
            else:
                items.append(copy.deepcopy(job[index] if index < len(job) else template[index]))
        return items
    return copy.deepcopy(job)
