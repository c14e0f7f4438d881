"""The small subset of Mongo filter syntax that Quantive's list endpoints accept."""

from __future__ import annotations

import re
from typing import Any

#: Quantive's filter field names and the record keys they read.
_FIELD_KEYS = {"_id": "id", "id": "id", "email": "email", "name": "name"}


class FilterError(ValueError):
    """The filter is not valid JSON or uses an operator the emulator does not know."""


def matches(record: dict[str, Any], filter_: dict[str, Any]) -> bool:
    """Whether ``record`` satisfies every clause of ``filter_``.

    Supported: equality, ``$in`` and ``$regex`` (with ``$options: "i"``), on ``_id``,
    ``email`` and ``name``. Equality is exact, as in Quantive, so email case matters.
    """
    for field, condition in filter_.items():
        key = _FIELD_KEYS.get(field)
        if key is None:
            raise FilterError(f"unsupported filter field {field!r}")
        value = record.get(key)
        if not _satisfies(value, condition):
            return False
    return True


def _satisfies(value: Any, condition: Any) -> bool:
    if not isinstance(condition, dict):
        return value == condition
    for op, operand in condition.items():
        if op == "$in":
            if not isinstance(operand, list) or value not in operand:
                return False
        elif op == "$regex":
            flags = re.IGNORECASE if "i" in str(condition.get("$options", "")) else 0
            try:
                if not isinstance(value, str) or not re.search(str(operand), value, flags):
                    return False
            except re.error as exc:
                raise FilterError(f"bad $regex: {exc}") from None
        elif op == "$options":
            continue
        else:
            raise FilterError(f"unsupported operator {op!r}")
    return True
