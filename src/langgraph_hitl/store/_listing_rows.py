"""What a listing reads is turned into: a drain's rows from its writes, a page's requests.

A drain decodes each queued interrupt write once and stores what a listed request needs
(`Entries`); a page builds its requests straight from those rows (`PageItems`), without
reading a checkpoint blob, and ties each to the node whose own task raised it
(`node_of`).
"""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

import ormsgpack
from langgraph.checkpoint.serde.jsonplus import JsonPlusSerializer
from langgraph.types import Interrupt

from ..core._compat import PULL_TASK_PREFIX, interrupt_id_of
from ..core._pending import PendingInterrupt, listed, make_pending, parse_time, version_of
from ._backends import Decoder, checkpoint_time
from ._cursor import Position, kind_of, tool_of

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence
    from datetime import datetime

    from langgraph.checkpoint.base import BaseCheckpointSaver

__all__ = ["SCHEMAS_KEPT", "Entries", "PageItems", "Rows", "Schemas", "node_of"]


def node_of(task_path: str, task_id: str, interrupt_id: str, nodes: Sequence[str]) -> str | None:
    """The node among `nodes` whose own task raised `interrupt_id`, or None.

    None for an interrupt raised deeper (a subgraph, a functional-API task): its id is
    derived from another namespace than `node:task_id`.
    """
    parts = [p.strip() for p in task_path.split(",")]
    if len(parts) == 2 and parts[0] == PULL_TASK_PREFIX:
        # A node's own task names its node: only that one can have raised it.
        nodes = (parts[1],) if parts[1] in nodes else ()
    for answered in range(_MAX_ANSWERED):
        for name in nodes:
            if interrupt_id_of(f"{name}:{task_id}", answered) == interrupt_id:
                return name
    return None


_MAX_ANSWERED = 32
"""How many earlier answers of one task are tried when matching an interrupt id to a node."""


def _pull_node(task_path: str) -> str | None:
    parts = [p.strip() for p in task_path.split(",")]
    return parts[1] if len(parts) == 2 and parts[0] == PULL_TASK_PREFIX else None


class Entries:
    """What a drain stores of each pending interrupt, schemas digested once per batch."""

    def __init__(self, saver: BaseCheckpointSaver[Any]) -> None:
        self.saver = saver
        self.decoder = Decoder()
        self.digests: dict[int, tuple[Any, str]] = {}
        self.schemas: dict[str, bytes] = {}
        """The batch's new schemas: digest to body."""

    def decode(self, kind: str, blob: bytes) -> tuple[Any, bool]:
        """The write's value and whether it is plain msgpack data (storable as is)."""
        if kind == "msgpack" and type(self.saver.serde) is JsonPlusSerializer:
            try:
                return ormsgpack.unpackb(blob, ext_hook=self.decoder.hook), True
            except Exception:  # anything unusual takes the serializer's path
                pass
        return self.saver.serde.loads_typed((kind, blob)), False

    def digest(self, schema: object) -> str | None:
        if not isinstance(schema, dict):
            return None
        known = self.digests.get(id(schema))
        if known is not None and known[0] is schema:
            return known[1]
        try:
            body = ormsgpack.packb(schema)
        except Exception:  # not plain data: the page reads it from the write
            return None
        digest = hashlib.sha256(body).hexdigest()[:32]
        self.digests[id(schema)] = (schema, digest)
        self.schemas[digest] = body
        return digest

    def rows(self, key: tuple[str, str, str, int], kind: str, blob: bytes, path: str) -> Rows:
        value, plain = self.decode(kind, blob)
        pull = _pull_node(path)
        out = []
        for i in value or ():
            if not isinstance(i, Interrupt):
                continue
            packed: bytes | None = None
            digest = self.digest(i.response_schema) if plain else None
            if plain and (digest is not None or i.response_schema is None):
                try:
                    packed = ormsgpack.packb(i.value)
                except Exception:  # e.g. keys that are not strings
                    packed = None
            node = None if pull is None else node_of(path, key[2], i.id, (pull,))
            tool, kind_ = tool_of(i.value), kind_of(i.value)
            out.append((*key[:2], i.id, *key[2:], tool, kind_, path, node, packed, digest))
        return out


Rows = list[tuple[Any, ...]]


Schemas = dict[str, Any]
"""Response schemas by digest, kept by the caller across pages (`hitl_listing_schemas`)."""
SCHEMAS_KEPT = 256


class PageItems:
    """A page's requests, built straight from its rows: no checkpoint blob, no I/O.

    Each request is built as the page is iterated: a stream hands it on as it is made and
    the consumer drops it, so the cyclic collector never walks a whole page of young
    objects (what it did when a page of a thousand was built at once and kept). A caller
    that keeps them all (`list(...)`) builds them under `paused_gc` instead.

    Which requests are tied to a node of the graph is settled here, on the rows alone
    (`node_of`); `unbound` names the threads of those tied to none (raised in a subgraph,
    say): they are a `Position`, to be read the exact way.
    """

    __slots__ = ("_ids", "_names", "_rows", "_saver", "_schemas", "unbound")

    def __init__(
        self,
        raw: Rows,
        saver: BaseCheckpointSaver[Any],
        schemas: Schemas,
        nodes: Sequence[str],
        ids: dict[str, list[str]],
    ) -> None:
        known = frozenset(nodes)
        names: list[str | None] = []
        unbound: dict[str, None] = {}
        for _c, tid, iid, task_id, path, node, _v, _d, found, _k, _b in raw:
            if found is None:
                names.append(None)  # answered since the drain: skipped (see `__iter__`)
                continue
            if node is not None:
                # A node this graph lacks: the thread is another graph's (read the exact way).
                name = node if node in known else None
            else:
                name = node_of(path or "", task_id, iid, nodes)
            names.append(name)
            if name is None:
                unbound[tid] = None
        self._rows = raw
        self._names = names
        self._saver = saver
        self._schemas = schemas
        self._ids = ids
        self.unbound = tuple(unbound)

    def __iter__(self) -> Iterator[PendingInterrupt | Position]:
        stamps: dict[str, tuple[datetime | None, str]] = {}
        unpack = ormsgpack.unpackb
        schemas, ids = self._schemas, self._ids
        decoder: Decoder | None = None
        for row, name in zip(self._rows, self._names, strict=True):
            cid, tid, iid, _t, _p, _n, packed, digest, found, kind, blob = row
            if found is None:
                continue  # answered since the drain: not listed (its row still moves the cursor)
            if name is None:
                yield Position(cid, tid, iid)
                continue
            if packed is not None:
                value = unpack(packed)
                schema = None if digest is None else schemas[digest]
            else:  # a value that is not plain data: the serializer's own reading of the write
                decoder = decoder or Decoder()
                item = next(
                    (
                        i
                        for i in decoder.loads(self._saver, str(kind), bytes(blob)) or ()
                        if isinstance(i, Interrupt) and i.id == iid
                    ),
                    None,
                )
                if item is None:
                    continue
                value, schema = item.value, item.response_schema
            stamp = stamps.get(tid)
            if stamp is None:
                stamp = stamps[tid] = (checkpoint_time(cid), version_of(cid, ids.get(tid) or [iid]))
            if type(value) is dict:
                # What `_pending` reads of a value, without its Mapping check (an ABC's).
                call, kind_, expires = value.get("tool_call_id"), value.get("type"), None
                if "expires_at" in value:
                    expires = parse_time(value["expires_at"])
                yield listed(
                    iid,
                    value,
                    schema if type(schema) is dict else None,
                    call if type(call) is str else None,
                    kind_ if type(kind_) is str else None,
                    name,
                    (name,),
                    tid,
                    cid,
                    stamp[0],
                    expires,
                    stamp[1],
                )
                continue
            yield make_pending(
                Interrupt(value, iid, response_schema=schema),
                node=name,
                path=(name,),
                thread_id=tid,
                checkpoint_id=cid,
                created_at=stamp[0],
                version=stamp[1],
            )
