"""Pydantic validation errors as lines for people: 'FILE: field: what is wrong; allowed: what is allowed'.

Pure text formatting, for every config file the player reads: shows, calibration profiles, the display power commands.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, get_args

from pydantic import BaseModel, ValidationError


def _where(loc: tuple, root: type[BaseModel], tags: dict) -> str:
    # Lists are numbered from 1 as curators count them; a union's tag (e.g. 'grid') is dropped.
    parts, model = [], root
    for p in loc:
        if isinstance(p, int):
            parts.append(str(p + 1))
        elif p in tags and model is None:
            model = tags[p]
        else:
            parts.append(str(p))
            model = _submodel(model, p)
    return ".".join(parts) or "(top level)"


def _submodel(model: type[BaseModel] | None, name: str) -> type[BaseModel] | None:
    field = model.model_fields.get(name) if model else None
    ann = getattr(field, "annotation", None)
    # An optional section (`Osc | None`): the model inside it
    ann = next((a for a in get_args(ann) if isinstance(a, type) and issubclass(a, BaseModel)), ann)
    return ann if isinstance(ann, type) and issubclass(ann, BaseModel) else None


def _show(value: Any) -> str:
    return f"'{value}'" if isinstance(value, str) else str(value)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def _bounds(loc: tuple, ctx: dict, root: type[BaseModel], tags: dict) -> str:
    # Both ends of the field's range, not only the one that was crossed.
    owner = _owner(loc[:-1], root, tags)
    field = owner.model_fields.get(loc[-1]) if owner and isinstance(loc[-1], str) else None
    limits = dict(ctx)
    for m in getattr(field, "metadata", []):
        limits.update({k: getattr(m, k) for k in ("ge", "gt", "le", "lt") if hasattr(m, k)})
    words = {"ge": "at least", "gt": "more than", "le": "at most", "lt": "less than"}
    return " and ".join(f"{words[k]} {_number(limits[k])}" for k in words if k in limits)


def _message(e: dict, root: type[BaseModel], tags: dict, tag_key: str) -> str:
    kind, ctx, value = e["type"], e.get("ctx") or {}, e.get("input")
    listed = lambda text: text.replace("'", "").replace(" or ", ", ")  # noqa: E731
    if kind == "literal_error":
        return f"{_show(value)} is not allowed; allowed: {listed(ctx['expected'])}"
    if kind == "union_tag_invalid":
        return f"{_show(ctx['tag'])} is not a {tag_key} type; allowed: {listed(ctx['expected_tags'])}"
    if kind in ("greater_than", "greater_than_equal", "less_than", "less_than_equal"):
        side = "small" if kind.startswith("greater") else "large"
        return f"{value} is too {side}; allowed: {_bounds(e['loc'], ctx, root, tags)}"
    if kind == "extra_forbidden":
        return "unknown key (check the spelling)"
    if kind == "missing":
        return "missing; this key is required"
    if kind == "too_short":
        return "is empty; allowed: at least one entry"
    if kind in ("int_parsing", "int_type", "int_from_float"):
        return f"{_show(value)} is not allowed; allowed: a whole number"
    if kind in ("float_parsing", "float_type"):
        return f"{_show(value)} is not allowed; allowed: a number"
    if kind in ("bool_parsing", "bool_type"):
        return f"{_show(value)} is not allowed; allowed: true, false"
    if kind.startswith("date_"):
        return f"{_show(value)} is not allowed; allowed: a date such as 2025-12-24"
    if kind in ("string_type", "list_type", "dict_type", "model_type", "model_attributes_type"):
        wanted = {"string_type": "text in quotes", "list_type": "a list [...]",
                  "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table"}[kind]
        return f"{_show(value)} is not allowed; allowed: {wanted}"
    return e["msg"].removeprefix("Value error, ")


def format_validation_error(path: Path | str, err: ValidationError, root: type[BaseModel] | None = None,
                            tags: dict[str, type[BaseModel]] | None = None, tag_key: str = "type") -> list[str]:
    """One line per problem: 'FILE: field.path: what is wrong; allowed: what is allowed'.
    `root` is the validated model (without it, bounds and allowed keys are only what pydantic reports);
    `tags` maps a tagged union's tags (the value of `tag_key`) to their models."""
    tags = tags or {}
    lines = []
    for e in err.errors():
        loc = e["loc"]
        if e["type"] == "union_tag_invalid":
            loc = (*loc, tag_key)
        if e["type"] == "extra_forbidden":
            owner = _owner(loc[:-1], root, tags)
            allowed = f"; allowed: {', '.join(owner.model_fields)}" if owner else ""
            lines.append(f"{path}: {_where(loc, root, tags)}: unknown key (check the spelling){allowed}")
            continue
        lines.append(f"{path}: {_where(loc, root, tags)}: {_message(e, root, tags, tag_key)}")
    return lines


def _owner(loc: tuple, root: type[BaseModel], tags: dict) -> type[BaseModel] | None:
    """The pydantic model that holds the field at `loc` (for its bounds and its allowed keys)."""
    model: type[BaseModel] | None = root
    for p in loc:
        if isinstance(p, int):
            model = None
        elif p in tags and model is None:
            model = tags[p]
        else:
            model = _submodel(model, p)
    return model
