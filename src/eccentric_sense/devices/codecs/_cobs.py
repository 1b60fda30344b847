"""Consistent Overhead Byte Stuffing (COBS), written out so we need no dependency.

COBS rewrites a byte string so that it contains no ``0x00``; the zero byte can
then delimit frames on a byte stream.  The cost is one byte plus one byte per
254 bytes of input.  Reference: S. Cheshire and M. Baker, "Consistent Overhead
Byte Stuffing", IEEE/ACM Trans. Networking 7(2), 1999.
"""

from __future__ import annotations

__all__ = ["CobsError", "cobs_encode", "cobs_decode", "cobs_max_encoded_length"]


class CobsError(ValueError):
    """A byte string is not valid COBS (raised by :func:`cobs_decode` only)."""


def cobs_max_encoded_length(n: int) -> int:
    """Longest COBS encoding of ``n`` bytes (without the ``0x00`` delimiter)."""
    return n + 1 + n // 254


def cobs_encode(data: bytes) -> bytes:
    """Encode ``data`` with COBS.  The result contains no ``0x00`` byte.

    The frame delimiter is *not* appended; see :func:`frame_serial` in
    :mod:`.es1` for the complete serial frame.
    """
    out = bytearray()
    block = bytearray()
    for byte in bytes(data):
        if byte == 0:
            out.append(len(block) + 1)
            out += block
            block.clear()
        else:
            block.append(byte)
            if len(block) == 254:
                out.append(255)
                out += block
                block.clear()
    # The final block is always written, even when empty: that is what makes
    # a trailing zero (or a full 254-byte block) decode unambiguously.
    out.append(len(block) + 1)
    out += block
    return bytes(out)


def cobs_decode(encoded: bytes) -> bytes:
    """Decode one COBS frame (without its ``0x00`` delimiter).

    Raises
    ------
    CobsError
        If ``encoded`` contains a zero byte, is empty, or a code byte points
        past the end of the frame.
    """
    encoded = bytes(encoded)
    if not encoded:
        raise CobsError("empty COBS frame")
    if 0 in encoded:
        raise CobsError("COBS frame contains a zero byte")
    out = bytearray()
    i = 0
    n = len(encoded)
    while i < n:
        code = encoded[i]
        end = i + code
        if end > n:
            raise CobsError("COBS code byte points past the end of the frame")
        out += encoded[i + 1 : end]
        i = end
        if code != 255 and i < n:
            out.append(0)
    return bytes(out)
