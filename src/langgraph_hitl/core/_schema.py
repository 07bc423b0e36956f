"""Reading the JSON schemas that requests publish: local `$ref`s, tagged unions, `null`.

The one place that walks a published `response_schema`: validation explains a refused
answer by the branch its tag names (`answers/_validation.py`), the terminal reviewer asks for
the decisions a request admits (`cli/_review.py`), and the web reviewer builds its forms
(`web/_forms.py`), all with these functions.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

__all__ = ["branches_of", "discriminator", "follow", "non_null", "resolve", "tags_of"]


def follow(root: Mapping[str, Any], ref: object) -> Mapping[str, Any] | None:
    """The definition a local `$ref` (`#/$defs/Name`) points to in `root`; None if none."""
    if not isinstance(ref, str) or not ref.startswith("#/"):
        return None
    target: object = root
    for part in ref[2:].split("/"):
        target = target.get(part) if isinstance(target, Mapping) else None
    return target if isinstance(target, Mapping) else None


def discriminator(schema: object) -> tuple[str, Mapping[str, Any]] | None:
    """`(property, {tag: $ref})` of an OpenAPI-style `discriminator`, if `schema` has one."""
    if not isinstance(schema, Mapping):
        return None
    found = schema.get("discriminator")
    if not isinstance(found, Mapping):
        return None
    prop = found.get("propertyName")
    mapping = found.get("mapping")
    if not isinstance(prop, str) or not isinstance(mapping, Mapping):
        return None
    return prop, mapping


def resolve(schema: object, root: Mapping[str, Any], depth: int = 0) -> dict[str, Any]:
    """`schema` with local `$ref`s (and pydantic's single-item `allOf`) followed."""
    if not isinstance(schema, Mapping) or depth > 20:
        return {}
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/"):
        target = follow(root, ref)
        merged = {
            **resolve(target, root, depth + 1),
            **{k: v for k, v in schema.items() if k != "$ref"},
        }
        return merged
    all_of = schema.get("allOf")
    if isinstance(all_of, list) and len(all_of) == 1:
        rest = {k: v for k, v in schema.items() if k != "allOf"}
        return {**resolve(all_of[0], root, depth + 1), **rest}
    return dict(schema)


def _tag_of(branch: Mapping[str, Any], root: Mapping[str, Any]) -> str | None:
    prop = resolve((branch.get("properties") or {}).get("type"), root)
    if isinstance(prop.get("const"), str):
        return str(prop["const"])
    enum = prop.get("enum")
    if isinstance(enum, list) and len(enum) == 1 and isinstance(enum[0], str):
        return enum[0]
    return None


def tags_of(schema: Mapping[str, Any], node: object = None, depth: int = 0) -> list[str]:
    """The values of `type` an object schema (or a union of them) admits, in order."""
    node = resolve(schema if node is None else node, schema)
    if depth > 20:
        return []
    mapping = (node.get("discriminator") or {}).get("mapping")
    if isinstance(mapping, Mapping):
        return [str(tag) for tag in mapping]
    for key in ("oneOf", "anyOf"):
        branches = node.get(key)
        if isinstance(branches, list):
            return [tag for b in branches for tag in tags_of(schema, b, depth + 1)]
    tag = resolve((node.get("properties") or {}).get("type"), schema)
    if "const" in tag:
        return [str(tag["const"])]
    if isinstance(tag.get("enum"), list):
        return [str(v) for v in tag["enum"]]
    return []


def branches_of(schema: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """The branch of each decision a (union) schema admits, by its `type` tag."""
    found: dict[str, dict[str, Any]] = {}
    mapping = (schema.get("discriminator") or {}).get("mapping")
    if isinstance(mapping, Mapping):
        for tag, ref in mapping.items():
            found[str(tag)] = resolve({"$ref": ref}, schema)
    for key in ("oneOf", "anyOf"):
        for raw in schema.get(key) or []:
            branch = resolve(raw, schema)
            tag = _tag_of(branch, schema)
            if tag is not None:
                found.setdefault(tag, branch)
    if not found:
        whole = resolve(schema, schema)
        tag = _tag_of(whole, schema)
        if tag is not None:
            found[tag] = whole
    return found


def non_null(prop: dict[str, Any], root: Mapping[str, Any]) -> tuple[dict[str, Any], bool]:
    """The property's schema without its `null` alternative, and whether it had one."""
    types = prop.get("type")
    if isinstance(types, list) and "null" in types:
        rest = [t for t in types if t != "null"]
        return {**prop, "type": rest[0] if len(rest) == 1 else rest}, True
    options = prop.get("anyOf")
    if isinstance(options, list):
        resolved = [resolve(o, root) for o in options]
        kept = [o for o in resolved if o.get("type") != "null"]
        if len(kept) < len(resolved):
            extra = {k: v for k, v in prop.items() if k != "anyOf"}
            return ({**kept[0], **extra} if len(kept) == 1 else {**extra, "anyOf": kept}), True
    return prop, False
