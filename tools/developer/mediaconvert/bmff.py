"""Just enough ISO BMFF (fragmented MP4) to find each fragment's first frame: for HLS I-frame playlists.

An I-frame-only playlist entry is a byte range of a media segment holding one fragment's
``moof`` and its first sample (the IDR frame a fragment starts with), with the
fragment's duration (HLS, RFC 8216 section 4.3.3.6; Apple's HLS authoring
specification for fMP4 I-frame playlists).
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_CONTAINERS = {b"moov", b"trak", b"mdia", b"moof", b"traf", b"minf", b"stbl", b"mvex"}
# trun sample flags: sample_is_non_sync_sample (ISO/IEC 14496-12, 8.8.3.1)
_NON_SYNC = 0x00010000


@dataclass(frozen=True)
class Box:
    kind: bytes
    offset: int  # of the box header, in the file
    size: int
    header: int  # 8, or 16 with a 64-bit size

    @property
    def body(self) -> int:
        return self.offset + self.header

    @property
    def end(self) -> int:
        return self.offset + self.size


def boxes(data: bytes, start: int = 0, end: int | None = None) -> Iterator[Box]:
    """The boxes between ``start`` and ``end`` (one level)."""
    end = len(data) if end is None else end
    position = start
    while position + 8 <= end:
        size, kind = struct.unpack_from(">I4s", data, position)
        header = 8
        if size == 1:
            (size,) = struct.unpack_from(">Q", data, position + 8)
            header = 16
        elif size == 0:
            size = end - position
        if size < header or position + size > end:
            raise ValueError(f"box {kind!r} at {position} has a bad size {size}")
        yield Box(kind, position, size, header)
        position += size


def find(data: bytes, path: list[bytes], start: int = 0, end: int | None = None) -> Box | None:
    """The first box at ``path`` (for example ``[b"moov", b"trak", b"mdia", b"mdhd"]``)."""
    for box in boxes(data, start, end):
        if box.kind == path[0]:
            if len(path) == 1:
                return box
            if box.kind in _CONTAINERS:
                found = find(data, path[1:], box.body, box.end)
                if found is not None:
                    return found
    return None


def timescale(init: bytes) -> int:
    """The media timescale of an init segment's (only) track."""
    mdhd = find(init, [b"moov", b"trak", b"mdia", b"mdhd"])
    if mdhd is None:
        raise ValueError("init segment without moov/trak/mdia/mdhd")
    version = init[mdhd.body]
    offset = mdhd.body + 4 + (16 if version == 1 else 8)
    return int(struct.unpack_from(">I", init, offset)[0])


@dataclass(frozen=True)
class Fragment:
    offset: int  # of its moof
    first_sample_end: int  # byte after its first sample
    first_is_sync: bool
    duration: int  # in timescale units


def _full_box(data: bytes, box: Box) -> tuple[int, int]:
    (word,) = struct.unpack_from(">I", data, box.body)
    return word >> 24, word & 0xFFFFFF


def fragments(segment: bytes) -> list[Fragment]:
    """Each ``moof`` of a media segment: where it starts, where its first sample ends, how long it lasts."""
    found = []
    for moof in (b for b in boxes(segment) if b.kind == b"moof"):
        tfhd = find(segment, [b"traf", b"tfhd"], moof.body, moof.end)
        trun = find(segment, [b"traf", b"trun"], moof.body, moof.end)
        if tfhd is None or trun is None:
            raise ValueError(f"moof at {moof.offset} without traf/tfhd and trun")
        _, tf_flags = _full_box(segment, tfhd)
        position = tfhd.body + 8  # version/flags, track_ID
        base = moof.offset
        if tf_flags & 0x1:
            (base,) = struct.unpack_from(">Q", segment, position)
            position += 8
        if tf_flags & 0x2:
            position += 4
        default_duration = default_size = default_flags = 0
        if tf_flags & 0x8:
            (default_duration,) = struct.unpack_from(">I", segment, position)
            position += 4
        if tf_flags & 0x10:
            (default_size,) = struct.unpack_from(">I", segment, position)
            position += 4
        if tf_flags & 0x20:
            (default_flags,) = struct.unpack_from(">I", segment, position)
        _, flags = _full_box(segment, trun)
        (count,) = struct.unpack_from(">I", segment, trun.body + 4)
        position = trun.body + 8
        data_offset = 0
        if flags & 0x1:
            (data_offset,) = struct.unpack_from(">i", segment, position)
            position += 4
        first_flags = None
        if flags & 0x4:
            (first_flags,) = struct.unpack_from(">I", segment, position)
            position += 4
        duration = 0
        first_size = None
        first_sample_flags = default_flags
        for index in range(count):
            sample_duration, size, sample_flags = default_duration, default_size, default_flags
            if flags & 0x100:
                (sample_duration,) = struct.unpack_from(">I", segment, position)
                position += 4
            if flags & 0x200:
                (size,) = struct.unpack_from(">I", segment, position)
                position += 4
            if flags & 0x400:
                (sample_flags,) = struct.unpack_from(">I", segment, position)
                position += 4
            if flags & 0x800:
                position += 4
            if index == 0:
                first_size = size
                first_sample_flags = first_flags if first_flags is not None else sample_flags
            duration += sample_duration
        if first_size is None:
            continue
        found.append(
            Fragment(
                offset=moof.offset,
                first_sample_end=base + data_offset + first_size,
                first_is_sync=not first_sample_flags & _NON_SYNC,
                duration=duration,
            )
        )
    return found


# Sample entries' fixed fields before their child boxes (ISO/IEC 14496-12, 12.1.3 and 12.2.3).
_SAMPLE_ENTRY_FIELDS = {b"encv": 78, b"enca": 28}


@dataclass(frozen=True)
class Protection:
    scheme: str  # schm's scheme_type: "cenc", "cbcs", ...
    key_id: str  # tenc's default_KID, 32 hex digits
    protected: bool  # tenc's default_isProtected


def protection(init: bytes) -> Protection | None:
    """The Common Encryption signalling of an init segment's (only) track, or None if its samples are clear
    (ISO/IEC 23001-7: stsd's ``encv``/``enca`` entry, ``sinf`` with ``schm`` and ``schi/tenc``)."""
    stsd = find(init, [b"moov", b"trak", b"mdia", b"minf", b"stbl", b"stsd"])
    if stsd is None:
        raise ValueError("init segment without moov/trak/mdia/minf/stbl/stsd")
    entry = next(boxes(init, stsd.body + 8, stsd.end))  # after version, flags and entry_count
    if entry.kind not in _SAMPLE_ENTRY_FIELDS:
        return None
    sinf = next(b for b in boxes(init, entry.body + _SAMPLE_ENTRY_FIELDS[entry.kind], entry.end) if b.kind == b"sinf")
    schm = next(b for b in boxes(init, sinf.body, sinf.end) if b.kind == b"schm")
    schi = next(b for b in boxes(init, sinf.body, sinf.end) if b.kind == b"schi")
    tenc = next(b for b in boxes(init, schi.body, schi.end) if b.kind == b"tenc")
    scheme = init[schm.body + 4 : schm.body + 8].decode("ascii")
    is_protected = init[tenc.body + 6] == 1  # after version/flags and two reserved (or pattern) bytes
    return Protection(scheme, init[tenc.body + 8 : tenc.body + 24].hex(), is_protected)


def encrypted_fragments(segment: bytes) -> tuple[int, int]:
    """(fragments, fragments with sample encryption information: ``senc`` in their ``traf``)."""
    moofs = [box for box in boxes(segment) if box.kind == b"moof"]
    with_senc = sum(find(segment, [b"traf", b"senc"], moof.body, moof.end) is not None for moof in moofs)
    return len(moofs), with_senc
