"""The custom `auth` handler of the test server: an API key per reviewer (`x-api-key`)."""

from __future__ import annotations

from langgraph_sdk import Auth

KEYS = {"key-alice": "alice", "key-bob": "bob"}
"""API key -> the reviewer the server authenticates."""

auth = Auth()


@auth.authenticate
async def authenticate(headers: dict[bytes, bytes]) -> Auth.types.MinimalUserDict:
    """The reviewer whose key the request carries; anything else is refused (401)."""
    key = headers.get(b"x-api-key", b"").decode()
    if key not in KEYS:
        raise Auth.exceptions.HTTPException(status_code=401, detail="Unknown API key.")
    return {"identity": KEYS[key]}
