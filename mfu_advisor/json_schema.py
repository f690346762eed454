"""JSON Schema (draft 2020-12) of facts as :func:`~mfu_advisor.facts.to_jsonable` writes them.

A field's docstring is its description; fields with a default or in compat.ADDED_LATER are
optional; a ``Maybe`` field may be null, its reason in ``unavailable``.
"""

from __future__ import annotations

import ast
import collections.abc
import dataclasses
import enum
import functools
import inspect
import itertools
import textwrap
import types
import typing
from typing import Any, Union

from mfu_advisor.compat import ADDED_LATER
from mfu_advisor.facts import Unavailable

#: The ``unavailable`` object beside null fields: field name (or "field.key") -> reason.
REASONS: dict[str, Any] = {
    "description": "Why each null field is null, keyed by field name.",
    "type": "object",
    "additionalProperties": {"type": "string"},
}

_PLAIN: dict[Any, dict[str, Any]] = {
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    str: {"type": "string"},
}


class SchemaBuilder:
    """Builds one schema document; dataclasses become ``$defs`` entries named after the class."""

    def __init__(self) -> None:
        self.defs: dict[str, dict[str, Any]] = {}

    def of(self, kind: Any) -> dict[str, Any]:
        """The schema of a value of type ``kind`` (a reference for a dataclass)."""
        if kind is Any or kind is object:
            return {}
        origin = typing.get_origin(kind)
        if origin is Union or origin is types.UnionType:
            members = typing.get_args(kind)
            nullable = Unavailable in members or type(None) in members
            others = [m for m in members if m not in (Unavailable, type(None))]
            options = [self.of(m) for m in others]
            if nullable:
                options.append({"type": "null"})
            return options[0] if len(options) == 1 else {"anyOf": options}
        if kind in _PLAIN:
            return dict(_PLAIN[kind])
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            return {"enum": [member.value for member in kind]}
        if isinstance(kind, type) and dataclasses.is_dataclass(kind):
            return self.reference(kind)
        if origin in (tuple, list, collections.abc.Sequence):
            args = typing.get_args(kind)
            return {"type": "array", "items": self.of(args[0] if args else Any)}
        if origin in (dict, collections.abc.Mapping):
            args = typing.get_args(kind)
            return {"type": "object", "additionalProperties": self.of(args[1] if args else Any)}
        raise TypeError(f"no JSON schema for {kind!r}")

    def reference(self, kind: type) -> dict[str, Any]:
        name = kind.__name__
        if name not in self.defs:
            self.defs[name] = {}  # placed first: a class may refer to itself
            custom = getattr(kind, "json_schema", None)
            self.defs[name] = custom(self) if custom is not None else self.fields_of(kind)
        return {"$ref": f"#/$defs/{name}"}

    def fields_of(self, kind: type) -> dict[str, Any]:
        """The object schema of a dataclass, field by field (``fields_to_json``'s shape)."""
        hints = typing.get_type_hints(kind)
        docs = field_docs(kind)
        properties: dict[str, Any] = {}
        required: list[str] = []
        added_later = ADDED_LATER.get(kind.__name__, frozenset())
        for field in dataclasses.fields(kind):  # type: ignore[arg-type]
            schema = self.of(hints[field.name])
            if field.name in docs:
                schema = {"description": docs[field.name], **schema}
            properties[field.name] = schema
            if (
                field.default is dataclasses.MISSING
                and field.default_factory is dataclasses.MISSING
                and field.name not in added_later
            ):
                required.append(field.name)
        properties["unavailable"] = {"$ref": "#/$defs/reasons"}
        self.defs.setdefault("reasons", REASONS)
        doc = inspect.getdoc(kind) or ""
        return {
            **({"description": doc.split("\n\n")[0]} if doc else {}),
            "type": "object",
            "required": required,
            "properties": properties,
        }


@functools.cache
def field_docs(kind: type) -> dict[str, str]:
    """Each field's docstring (the string right after it in the class body)."""
    try:
        source = textwrap.dedent(inspect.getsource(kind))
    except (OSError, TypeError):
        return {}
    tree = ast.parse(source)
    body = tree.body[0].body if tree.body and isinstance(tree.body[0], ast.ClassDef) else []
    docs: dict[str, str] = {}
    for statement, following in itertools.pairwise(body):
        if (
            isinstance(statement, ast.AnnAssign)
            and isinstance(statement.target, ast.Name)
            and isinstance(following, ast.Expr)
            and isinstance(following.value, ast.Constant)
            and isinstance(following.value.value, str)
        ):
            docs[statement.target.id] = " ".join(inspect.cleandoc(following.value.value).split())
    return docs
