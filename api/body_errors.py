"""Every schema error of a JSON body, not only the first.

msgspec stops at the first value that does not fit. When a body is refused, the problem handler (api/problems.py)
walks the body again against the route's `data` type: a subtree that converts is fine as it is; one that does not
is opened (a Struct's fields, a list's items, a dict's values, the one type of an Optional) and each part is
converted on its own, so that every bad field is named, each with msgspec's own message and its path
(`items[3].hours`). A constraint on a whole container or a Struct's own check (`__post_init__`), which no part
breaks on its own, is reported for the container. Conversion is Litestar's (not strict, string keys), so a value
Litestar accepts is never reported.
"""

from __future__ import annotations

import types
import typing
from typing import Any

import msgspec
from litestar import Request
from litestar.enums import RequestEncodingType
from litestar.params import BodyKwarg
from litestar.types import Empty
from litestar.utils.scope.state import ScopeState

Error = tuple[str, str]  # (msgspec's message, the path in Litestar's form: "items[3].hours", "" for the body)
_FORMS = (RequestEncodingType.URL_ENCODED, RequestEncodingType.MULTI_PART)


def body_errors(request: Request) -> list[Error]:
    """Every schema error of the request's JSON body against its route's `data` type; [] when the route takes no
    JSON body or the body was never decoded (then the first error is all there is)."""
    data = request.route_handler.parsed_fn_signature.parameters.get("data")
    if data is None:
        return []
    kwarg = data.kwarg_definition
    if isinstance(kwarg, BodyKwarg) and kwarg.media_type in _FORMS:
        return []
    value = ScopeState.from_scope(request.scope).json
    if value is Empty:
        return []
    return errors_of(data.annotation, value)


def errors_of(annotation: Any, value: Any, path: str = "") -> list[Error]:
    try:
        msgspec.convert(value, annotation, strict=False, str_keys=True)
        return []
    except msgspec.ValidationError as exc:
        message, _, where = str(exc).partition(" - at `$")
        whole = (message, _join(path, where.rstrip("`")))
    except TypeError:  # not a type msgspec converts to (it could not have been the route's)
        return []
    return _parts(annotation, value, path) or [whole]


def _join(path: str, more: str) -> str:
    joined = path + (more if more.startswith(("[", ".")) or not more else f".{more}")
    return joined.lstrip(".")


def _parts(annotation: Any, value: Any, path: str) -> list[Error]:
    """The errors of each part of `value`, or [] when `annotation` is not a container of parts."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    origin, args = typing.get_origin(annotation), typing.get_args(annotation)
    if isinstance(annotation, type) and issubclass(annotation, msgspec.Struct):
        return _fields(annotation, value, path) if isinstance(value, dict) else []
    if origin in (list, set, frozenset) and isinstance(value, list) and args:
        return [e for i, item in enumerate(value) for e in errors_of(args[0], item, f"{path}[{i}]")]
    if origin is tuple and isinstance(value, list) and len(args) == 2 and args[1] is Ellipsis:
        return [e for i, item in enumerate(value) for e in errors_of(args[0], item, f"{path}[{i}]")]
    if origin is dict and isinstance(value, dict) and len(args) == 2:
        return [e for key, item in value.items() for e in errors_of(args[1], item, _join(path, str(key)))]
    if origin in (typing.Union, types.UnionType) and value is not None:
        members = [a for a in args if a is not type(None)]
        if len(members) == 1:
            return _parts(members[0], value, path)
    return []


def _fields(struct: type[msgspec.Struct], value: dict[str, Any], path: str) -> list[Error]:
    fields = msgspec.structs.fields(struct)
    config = struct.__struct_config__
    known = {f.encode_name for f in fields} | ({config.tag_field} if config.tag_field else set())
    errors: list[Error] = []
    if config.forbid_unknown_fields:
        errors += [(f"Object contains unknown field `{key}`", path) for key in value if key not in known]
    for field in fields:
        if field.encode_name not in value:
            if field.required:
                errors.append((f"Object missing required field `{field.encode_name}`", path))
            continue
        errors += errors_of(field.type, value[field.encode_name], _join(path, field.encode_name))
    return errors
