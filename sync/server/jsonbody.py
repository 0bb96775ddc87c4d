"""JSON request bodies read strictly: what Python's `json` module lets through but no database
or encoder can hold is refused as a malformed body (422 `invalid_request`, naming where).

- text with a lone surrogate (`"\\ud800"`): valid JSON escapes, not Unicode; PostgreSQL and
  every UTF-8 encoder refuse it later, as a 500;
- a body that is not UTF-8;
- nesting deeper than the parser's recursion limit (`[[[[...`).

Routers use `route_class=WireRoute`; FastAPI reads the body through `StrictJSONRequest.json`
and turns the `JSONDecodeError` raised here into its `json_invalid` validation error.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import Request, Response
from fastapi.routing import APIRoute

# A \\uD800-\\uDFFF escape anywhere: only then is the parsed body searched for a lone one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
# Digits as "0", the rest as " ": 19 digits in a row are then one bytes.find (a regex takes
# 20 times longer), and there orjson would read an integer beyond 64 bits as a float.
_DIGITS = bytes(0x30 if 0x30 <= i <= 0x39 else 0x20 for i in range(256))
_LONG_NUMBER = b"0" * 19


def parse_json(body: bytes) -> Any:
    if body.translate(_DIGITS).find(_LONG_NUMBER) < 0:
        try:  # orjson reads a push of 500 cases in about two thirds of json's time
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            pass  # json's own reading: what it lets through (NaN, 1e400, a BOM) or why not
    try:
        value = json.loads(body)
    except UnicodeDecodeError as exc:
        raise json.JSONDecodeError("the body is not UTF-8 text", "", exc.start) from None
    except RecursionError:
        raise json.JSONDecodeError("the body is nested too deeply", "", 0) from None
    if _SURROGATE_ESCAPE.search(body):
        where = _lone_surrogate(value, "body")
        if where:
            raise json.JSONDecodeError(f"{where} holds a lone surrogate (\\ud800-\\udfff), which "
                                       "is not Unicode text", "", 0)
    return value


def _lone_surrogate(value: Any, where: str) -> str | None:
    """Where (`body.a.0.b`) the first string holding a lone surrogate is, or None."""
    stack = [(value, where)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            if not _encodable(item):
                return at
        elif isinstance(item, dict):
            for key, sub in item.items():
                if not _encodable(key):
                    return f"{at} (a name)"
                stack.append((sub, f"{at}.{key}"))
        elif isinstance(item, list):
            stack.extend((sub, f"{at}.{i}") for i, sub in enumerate(item))
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


class StrictJSONRequest(Request):
    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = parse_json(await self.body())
        return self._json


class WireRoute(APIRoute):
    """A route whose JSON body is read by `parse_json`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def strict(request: Request) -> Response:
            return await handler(StrictJSONRequest(request.scope, request.receive))

        return strict
