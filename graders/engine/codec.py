"""Plain data that may cross from student code to the judge, and the judge's limits on it.

Everything a probe returns passes through `encode` (next to the student code) and `decode`
(in the judge), in both backends, so that the judge only ever holds exact built-in types:
tensors are rebuilt from raw bytes as plain `torch.Tensor` (a `meta` tensor, which has no values,
as an empty tensor of the same dtype and shape on `meta`), numbers and strings as exact
`int`/`float`/`bool`/`str`. Nothing is unpickled. A value of any other kind is refused.

Every size is checked before the work it would cost is done: a frame's header and blobs against
their limits as their lengths arrive, nesting and the number of items as the tree is walked, a
tensor's rank, dimensions and element count before any tensor is made. These are the judge's limits,
kept here and nowhere else (the README's Isolation section lists them).
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
ITEMSIZE = {name: torch.empty((), dtype=dtype).element_size() for name, dtype in DTYPES.items()}

MAX_STRING = 2000  # characters of one string (longer ones are cut)
MAX_ITEMS = 10_000  # values in one message, all lists and dicts together
MAX_DEPTH = 8  # lists and dicts inside one another
MAX_RANK = 16  # dimensions of one tensor
MAX_ELEMENTS = 1 << 22  # elements of one tensor (32 MiB of float64)
MAX_HEADER = 1 << 20  # bytes of one message's JSON header
MAX_BLOBS = 1000  # tensors in one message
MAX_FRAME = 64 << 20  # bytes of one message, header and tensors together
MAX_CODE = 16 << 20  # bytes of a submission's code, sent to its worker in one message


class CodecError(ValueError):
    """Raised when data from a submission is not plain data of the permitted kinds and sizes."""


def encode(value) -> tuple[str, list[bytes]]:
    """Turn plain data into a JSON header and a list of raw tensor buffers, within the limits the
    judge will check (so that honest data never fails to decode)."""
    blobs: list[bytes] = []
    header = _encode(value, blobs, 0, [MAX_ITEMS])
    return json.dumps(header, allow_nan=False), blobs


def decode(header: str, blobs: list[bytes]):
    """Rebuild plain data from `encode`'s output, checking every part of it."""
    return _decode(parse(header), blobs, 0, [MAX_ITEMS])


def parse(header: str):
    """JSON text of at most MAX_HEADER characters into Python values; nesting too deep for the
    parser is refused, not a crash."""
    if type(header) is not str or len(header) > MAX_HEADER:
        raise CodecError(f"a header larger than {size_text(MAX_HEADER)}")
    try:
        return json.loads(header)
    except RecursionError:
        raise CodecError("data nested too deeply") from None
    except ValueError as error:
        raise CodecError(f"unreadable data: {str(error)[:100]}") from None


def _count(items: list, n: int):
    items[0] -= n
    if items[0] < 0:
        raise CodecError(f"more than {MAX_ITEMS} values")


def _encode(value, blobs, depth, items):
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
        _count(items, len(value))
        return {"list": [_encode(item, blobs, depth + 1, items) for item in value]}
    if type(value) is dict:
        _count(items, 2 * len(value))
        return {"dict": [[_encode(key, blobs, depth + 1, items), _encode(item, blobs, depth + 1, items)]
                         for key, item in value.items()]}
    raise CodecError(f"a {type(value).__name__} is not plain data")


def _encode_tensor(tensor, blobs):
    # A tensor subclass may override every method; with torch functions disabled for
    # subclasses its storage is read as a plain tensor's would be.
    with torch._C.DisableTorchFunctionSubclass():
        plain = tensor.detach()
        dtype, shape = str(plain.dtype), list(plain.shape)
        _check_shape(dtype, shape)
        if plain.device.type == "meta":
            return {"meta": [dtype, shape]}
        if len(blobs) >= MAX_BLOBS:
            raise CodecError(f"more than {MAX_BLOBS} tensors")
        flat = plain.to("cpu").contiguous().reshape(-1)
        raw = flat.view(torch.uint8).numpy().tobytes() if flat.numel() else b""
    blobs.append(raw)
    return {"tensor": [dtype, shape, len(blobs) - 1]}


def _check_shape(dtype_name, shape) -> int:
    """The element count of a tensor of this dtype and shape, refusing what exceeds the limits
    before anything is allocated."""
    if type(dtype_name) is not str or dtype_name not in DTYPES:
        raise CodecError(f"tensor dtype {str(dtype_name)[:40]!r} is not permitted")
    if type(shape) is not list or not all(type(n) is int for n in shape):
        raise CodecError("malformed tensor shape")
    if len(shape) > MAX_RANK:
        raise CodecError(f"a tensor of {len(shape)} dimensions (at most {MAX_RANK})")
    numel = 1
    for n in shape:
        if not 0 <= n <= MAX_ELEMENTS:
            raise CodecError(f"a tensor dimension of size {str(n)[:20]}")
        numel *= n
    if numel > MAX_ELEMENTS:
        raise CodecError(f"a tensor of {numel} elements (at most {MAX_ELEMENTS})")
    return numel


def _decode(tree, blobs, depth, items):
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
        _count(items, len(body))
        return [_decode(item, blobs, depth + 1, items) for item in body]
    if kind == "dict" and type(body) is list:
        _count(items, 2 * len(body))
        out = {}
        for pair in body:
            if type(pair) is not list or len(pair) != 2:
                raise CodecError("malformed result")
            key = _decode(pair[0], blobs, depth + 1, items)
            if type(key) not in (str, int):
                raise CodecError("malformed result key")
            out[key] = _decode(pair[1], blobs, depth + 1, items)
        return out
    if kind == "tensor":
        return _decode_tensor(body, blobs)
    if kind == "meta" and type(body) is list and len(body) == 2:
        _check_shape(*body)
        return torch.empty(body[1], dtype=DTYPES[body[0]], device="meta")
    raise CodecError("malformed result")


def _decode_tensor(body, blobs):
    if type(body) is not list or len(body) != 3:
        raise CodecError("malformed tensor")
    dtype_name, shape, index = body
    numel = _check_shape(dtype_name, shape)
    if type(index) is not int or not 0 <= index < len(blobs):
        raise CodecError("malformed tensor buffer")
    raw = blobs[index]
    if type(raw) is not bytes or len(raw) != numel * ITEMSIZE[dtype_name]:
        raise CodecError("tensor buffer does not match its shape")
    dtype = DTYPES[dtype_name]
    if numel == 0:
        return torch.empty(shape, dtype=dtype)
    return torch.frombuffer(bytearray(raw), dtype=torch.uint8).view(dtype).reshape(shape).clone()


# Framing for a stream socket: a 4-byte header length, the JSON header, a 4-byte blob count, then each
# blob as an 8-byte length and its bytes. The reader checks each length before reading what it announces.


def write_message(sock, header: str, blobs: list[bytes]):
    raw = header.encode()
    parts = [len(raw).to_bytes(4, "big"), raw, len(blobs).to_bytes(4, "big")]
    for blob in blobs:
        parts += [len(blob).to_bytes(8, "big"), blob]
    sock.sendall(b"".join(parts))


def read_message(sock, limit: int = MAX_FRAME, deadline: float | None = None,
                 header_limit: int = MAX_HEADER) -> tuple[str, list[bytes]]:
    """Read one message of at most `limit` bytes (its header at most `header_limit`); raises EOFError
    when the peer is gone, CodecError when it is malformed or too large, and TimeoutError when
    `deadline` (a time.monotonic() value) passes first."""
    budget = [limit, deadline]
    size = int.from_bytes(_read_exact(sock, 4, budget), "big")
    if size > header_limit:
        raise CodecError(f"a header larger than {size_text(header_limit)}")
    header = _read_exact(sock, size, budget)
    count = int.from_bytes(_read_exact(sock, 4, budget), "big")
    if count > MAX_BLOBS:
        raise CodecError(f"more than {MAX_BLOBS} tensors in one message")
    blobs = [_read_exact(sock, int.from_bytes(_read_exact(sock, 8, budget), "big"), budget) for _ in range(count)]
    try:
        return header.decode(), blobs
    except UnicodeDecodeError:
        raise CodecError("a header that is not text") from None


def _read_exact(sock, size: int, budget: list) -> bytes:
    if size > budget[0]:
        raise CodecError(f"a message larger than {size_text(budget[0])}")
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


def size_text(size: int) -> str:
    return f"{size / 2**20:.0f} MiB" if size >= 2**20 else f"{size} bytes"
