"""The codec: plain data crosses from a worker as exact types, and anything else is refused."""

import json
import socket
import time

import pytest
import torch

from graders.engine import codec


def roundtrip(value):
    return codec.decode(*codec.encode(value))


@pytest.mark.parametrize("value", [None, True, 3, -2.5, "text", [1, 2.0, "x"], {"a": [None, {"b": False}]}])
def test_plain_values_come_back_equal_and_of_the_same_type(value):
    back = roundtrip(value)
    assert back == value and type(back) is type(value)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64, torch.int64, torch.bool, torch.bfloat16])
def test_tensors_come_back_as_exact_plain_tensors_with_the_same_values(dtype):
    tensor = (torch.arange(12) % 3).reshape(3, 4).to(dtype)
    back = roundtrip({"t": tensor})["t"]
    assert type(back) is torch.Tensor and back.dtype == dtype and torch.equal(back, tensor)


def test_a_tensor_subclass_comes_back_as_a_plain_tensor():
    class Lying(torch.Tensor):
        pass

    back = roundtrip(torch.ones(2).as_subclass(Lying))
    assert type(back) is torch.Tensor


@pytest.mark.parametrize("value", [object(), 1 + 2j, b"bytes", {"set": {1, 2}}, torch.zeros([1] * 1000),
                                   torch.zeros(codec.MAX_ELEMENTS + 1, dtype=torch.bool)])
def test_values_that_are_not_plain_data_or_too_large_are_refused(value):
    with pytest.raises(codec.CodecError):
        codec.encode(value)


def test_a_meta_tensor_crosses_as_its_dtype_and_shape():
    back = roundtrip({"t": torch.ones(2, 3, dtype=torch.float64, device="meta")})["t"]
    assert back.device.type == "meta" and back.dtype == torch.float64 and back.shape == (2, 3)


def test_limits_on_nesting_and_items_are_enforced_and_long_strings_cut():
    deep = []
    for _ in range(codec.MAX_DEPTH + 2):
        deep = [deep]
    spread = [list(range(codec.MAX_ITEMS // 3)) for _ in range(4)]  # every list is small, all together are not
    for value in (deep, list(range(codec.MAX_ITEMS + 1)), spread):
        with pytest.raises(codec.CodecError):
            codec.encode(value)
    assert roundtrip("x" * (codec.MAX_STRING + 50)) == "x" * codec.MAX_STRING + "..."


def test_the_judge_refuses_what_exceeds_its_limits_in_one_line_without_doing_the_work():
    items = {"list": [{"list": list(range(codec.MAX_ITEMS // 3))} for _ in range(4)]}
    forged = [
        ("[" * 200_000 + "]" * 200_000, [], "nested too deeply"),
        (json.dumps(items), [], "more than"),
        (json.dumps({"tensor": ["torch.float32", [0, 2**64], 0]}), [b""], "dimension"),
        (json.dumps({"tensor": ["torch.float32", [1] * 1000, 0]}), [b"\0" * 4], "1000 dimensions"),
        (json.dumps({"tensor": ["torch.uint8", [1 << 20, 1 << 20], 0]}), [b""], "elements"),
        (json.dumps({"meta": ["torch.float32", [-1]]}), [], "dimension"),
        (" " * (codec.MAX_HEADER + 1), [], "header larger"),
    ]
    for header, blobs, reason in forged:
        with pytest.raises(codec.CodecError, match=reason) as refused:
            codec.decode(header, blobs)
        assert "\n" not in str(refused.value)


@pytest.mark.parametrize("header, blobs", [
    ("not json", []),
    (json.dumps({"tensor": {"dtype": "torch.complex64", "shape": [1], "blob": 0}}), [b"\0" * 8]),
    (json.dumps({"tensor": {"dtype": "torch.float32", "shape": [4], "blob": 0}}), [b"\0" * 8]),
    (json.dumps({"tensor": {"dtype": "torch.float32", "shape": [1], "blob": 3}}), [b"\0" * 4]),
    (json.dumps({"tensor": {"dtype": "torch.float32", "shape": [-1], "blob": 0}}), [b""]),
])
def test_forged_headers_are_refused_with_a_codec_error(header, blobs):
    with pytest.raises(codec.CodecError):
        codec.decode(header, blobs)


def test_messages_cross_a_socket_whole_and_an_oversized_one_is_refused():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        header, blobs = codec.encode({"x": torch.arange(5.0)})
        codec.write_message(theirs, header, blobs)
        got = codec.decode(*codec.read_message(ours, deadline=None))
        assert torch.equal(got["x"], torch.arange(5.0))
        codec.write_message(theirs, json.dumps("x" * 5000), [])
        with pytest.raises(codec.CodecError):
            codec.read_message(ours, limit=1000)


def test_an_oversized_frame_is_refused_from_its_announced_size_before_it_is_read():
    ours, theirs = socket.socketpair()
    with ours, theirs:
        theirs.sendall((16 << 20).to_bytes(4, "big"))  # a 16 MiB header announced, nothing of it sent
        with pytest.raises(codec.CodecError, match="header larger"):
            codec.read_message(ours, deadline=time.monotonic() + 5)
        theirs.sendall((0).to_bytes(4, "big") + (codec.MAX_BLOBS + 1).to_bytes(4, "big"))
        with pytest.raises(codec.CodecError, match="tensors"):
            codec.read_message(ours, deadline=time.monotonic() + 5)
