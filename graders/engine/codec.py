"""Plain data that may cross from student code to the judge.

Everything a probe returns passes through `encode` (next to the student code) and `decode`
(in the judge), in both backends, so that the judge only ever holds exact built-in types:
tensors are rebuilt from raw bytes as plain `torch.Tensor`, numbers and strings as exact
`int`/`float`/`bool`/`str`. Nothing is unpickled. A value of any other kind is refused.
"""

from __future__ import annotations

import json
import math
import time

import torch

DTYPES = {
    str(dtype): dtype
    for dtype in (
        torch.bool, torch.uint8, torch.int8, torch.int16, torch.int32, torch.int64,
        torch.float16, torch.bfloat16, torch.float32, torch.float64,
    )
}
MAX_STRING = 2000
MAX_ITEMS = 10_000
MAX_DEPTH = 8


class CodecError(ValueError):
    """Raised when data from a submission is not plain data of the permitted kinds."""


def encode(value) -> tuple[str, list[bytes]]:
    """Turn plain data into a JSON header and a list of raw tensor buffers."""
    blobs: list[bytes] = []
    header = _encode(value, blobs, 0)
    return json.dumps(header, allow_nan=False), blobs


def decode(header: str, blobs: list[bytes]):
    """Rebuild plain data from `encode`'s output, checking every part of it."""
    try:
        tree = json.loads(header)
    except ValueError as error:
        raise CodecError(f"unreadable result: {error}") from None
    return _decode(tree, blobs, 0)


def _encode(value, blobs, depth):
    if depth > MAX_DEPTH:
        raise CodecError("result nested too deeply")
    if value is None or type(value) in (bool, int, str):
        if type(value) is str and len(value) > MAX_STRING:
            value = value[:MAX_STRING] + "..."
        return value
    if type(value) is float:
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, torch.Tensor):
        return _encode_tensor(value, blobs)
    if type(value) in (list, tuple):
        if len(value) > MAX_ITEMS:
            raise CodecError("result has too many items")
        return {"list": [_encode(item, blobs, depth + 1) for item in value]}
    if type(value) is dict:
        if len(value) > MAX_ITEMS:
            raise CodecError("result has too many items")
        return {"dict": [[_encode(key, blobs, depth + 1), _encode(item, blobs, depth + 1)]
                         for key, item in value.items()]}
    raise CodecError(f"a {type(value).__name__} is not plain data")


def _encode_tensor(tensor, blobs):
    # A tensor subclass may override every method; with torch functions disabled for
    # subclasses its storage is read as a plain tensor's would be.
    with torch._C.DisableTorchFunctionSubclass():
        plain = tensor.detach()
        if plain.device.type == "meta":
            raise CodecError("a meta tensor has no values")
        flat = plain.to("cpu").contiguous().reshape(-1)
        raw = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
    blobs.append(raw)
    return {"tensor": [str(plain.dtype), list(plain.shape), len(blobs) - 1]}


def _decode(tree, blobs, depth):
    if depth > MAX_DEPTH:
        raise CodecError("result nested too deeply")
    if tree is None or type(tree) in (bool, int, float):
        return tree
    if type(tree) is str:
        return tree[: MAX_STRING + 3]
    if type(tree) is not dict or len(tree) != 1:
        raise CodecError("malformed result")
    (kind, body), = tree.items()
    if kind == "float" and body in ("inf", "-inf", "nan"):
        return float(body)
    if kind == "list" and type(body) is list:
        return [_decode(item, blobs, depth + 1) for item in body]
    if kind == "dict" and type(body) is list:
        out = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise CodecError("malformed result")
            key = _decode(pair[0], blobs, depth + 1)
            if type(key) not in (str, int):
                raise CodecError("malformed result key")
            out[key] = _decode(pair[1], blobs, depth + 1)
        return out
    if kind == "tensor":
        return _decode_tensor(body, blobs)
    raise CodecError("malformed result")


def _decode_tensor(body, blobs):
    if type(body) is not list or len(body) != 3:
        raise CodecError("malformed tensor")
    dtype_name, shape, index = body
    dtype = DTYPES.get(dtype_name) if type(dtype_name) is str else None
    if dtype is None:
        raise CodecError(f"tensor dtype {dtype_name!r} is not permitted")
    if type(shape) is not list or not all(type(n) is int and n >= 0 for n in shape):
        raise CodecError("malformed tensor shape")
    if type(index) is not int or not 0 <= index < len(blobs):
        raise CodecError("malformed tensor buffer")
    raw = blobs[index]
    numel = math.prod(shape)
    itemsize = torch.empty((), dtype=dtype).element_size()
    if type(raw) is not bytes or len(raw) != numel * itemsize:
        raise CodecError("tensor buffer does not match its shape")
    if numel == 0:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape).clone()


# Framing for a stream socket: a 4-byte header length, the JSON header, a 4-byte blob count, then each
# blob as an 8-byte length and its bytes. The reader refuses anything larger than `limit` in all.
MAX_MESSAGE = 256 * 1024 * 1024


def write_message(sock, header: str, blobs: list[bytes]):
    raw = header.encode()
    parts = [len(raw).to_bytes(4, "big"), raw, len(blobs).to_bytes(4, "big")]
    for blob in blobs:
        parts += [len(blob).to_bytes(8, "big"), blob]
    sock.sendall(b"".join(parts))


def read_message(sock, limit: int = MAX_MESSAGE, deadline: float | None = None) -> tuple[str, list[bytes]]:
    """Read one message; raises EOFError when the peer is gone, CodecError when it is malformed, and
    TimeoutError when `deadline` (a time.monotonic() value) passes first."""
    budget = [limit, deadline]
    header = _read_exact(sock, int.from_bytes(_read_exact(sock, 4, budget), "big"), budget)
    count = int.from_bytes(_read_exact(sock, 4, budget), "big")
    if count > MAX_ITEMS:
        raise CodecError("too many tensors in one result")
    blobs = [_read_exact(sock, int.from_bytes(_read_exact(sock, 8, budget), "big"), budget) for _ in range(count)]
    try:
        return header.decode(), blobs
    except UnicodeDecodeError:
        raise CodecError("result header is not text") from None


def _read_exact(sock, size: int, budget: list) -> bytes:
    if size > budget[0]:
        raise CodecError(f"result larger than {limit_text(budget[0])}")
    budget[0] -= size
    chunks, remaining = [], size
    while remaining:
        if budget[1] is not None:
            left = budget[1] - time.monotonic()
            if left <= 0:
                raise TimeoutError("deadline passed")
            sock.settimeout(left)
        chunk = sock.recv(min(remaining, 1 << 20))
        if not chunk:
            raise EOFError("connection closed")
        chunks.append(chunk)
        remaining -= len(chunk)
    return b"".join(chunks)


def limit_text(size: int) -> str:
    return f"{size / 2**20:.0f} MiB"
