"""Outlook .msg files for the tests, written from the published formats (MS-CFB compound files, MS-OXMSG message
properties): the transport headers, the plain and HTML bodies, and the message class, which is what Outlook keeps
when a message is saved or forwarded as an attachment. No library writes them, so this small writer does.

Layout: version 3 compound file (512-byte sectors); streams under 4,096 bytes live in the mini stream (64-byte
sectors), as the format requires; the directory is a chain of right siblings under the root.
"""

import struct

SECTOR = 512
MINI_SECTOR = 64
MINI_CUTOFF = 4096
FREE, END_OF_CHAIN, FAT_SECTOR = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD
NO_STREAM = 0xFFFFFFFF

STRING, BINARY = 0x001F, 0x0102  # PT_UNICODE, PT_BINARY
MESSAGE_CLASS, SUBJECT, TRANSPORT_HEADERS = 0x001A, 0x0037, 0x007D
SENDER_NAME, SENDER_ADDRESS, BODY, HTML_BODY = 0x0C1A, 0x0C1F, 0x1000, 0x1013


def outlook_message(*, headers: str, body: str = "", html: str = "", subject: str = "", sender: str = "") -> bytes:
    """A saved Outlook message with these transport headers and bodies."""
    properties = [(MESSAGE_CLASS, STRING, "IPM.Note"), (TRANSPORT_HEADERS, STRING, headers)]
    properties += [(tag, STRING, value) for tag, value in ((SUBJECT, subject), (SENDER_NAME, sender)) if value]
    if body:
        properties.append((BODY, STRING, body))
    if html:
        properties.append((HTML_BODY, BINARY, html.encode("utf-8")))
    streams = {}
    table = bytearray(32)  # top-level message: 8 reserved, next recipient and attachment ids, counts, 8 reserved
    for tag, kind, value in properties:
        data = value.encode("utf-16-le") if kind == STRING else value
        streams[f"__substg1.0_{tag:04X}{kind:04X}"] = data
        # The size of a string counts its terminating null, which the stream itself does not hold.
        size = len(data) + 2 if kind == STRING else len(data)
        table += struct.pack("<IIII", (tag << 16) | kind, 0x6, size, 0)  # readable and writable
    streams["__properties_version1.0"] = bytes(table)
    return compound_file(streams)


def compound_file(streams: dict[str, bytes]) -> bytes:
    """A compound file whose root storage holds ``streams`` (name → bytes)."""
    names = list(streams)
    mini = bytearray()
    mini_fat: list[int] = []
    large: list[tuple[str, bytes]] = []
    start: dict[str, int] = {}
    for name in names:
        data = streams[name]
        if len(data) >= MINI_CUTOFF:
            large.append((name, data))
            continue
        count = max(1, -(-len(data) // MINI_SECTOR))
        start[name] = len(mini_fat)
        mini_fat += [len(mini_fat) + offset + 1 for offset in range(count - 1)] + [END_OF_CHAIN]
        mini += data.ljust(count * MINI_SECTOR, b"\x00")

    directory_sectors = -(-(len(names) + 1) * 128 // SECTOR)
    mini_fat_sectors = -(-len(mini_fat) * 4 // SECTOR)
    mini_stream_sectors = -(-len(mini) // SECTOR)
    large_sectors = [-(-len(data) // SECTOR) for _name, data in large]
    payload = directory_sectors + mini_fat_sectors + mini_stream_sectors + sum(large_sectors)
    fat_sectors = 1
    while fat_sectors * (SECTOR // 4) < fat_sectors + payload:
        fat_sectors += 1

    fat: list[int] = [FAT_SECTOR] * fat_sectors
    chains: list[tuple[int, int]] = []  # (first sector, length) in file order after the FAT

    def allocate(count: int) -> int:
        first = len(fat)
        fat.extend([len(fat) + offset + 1 for offset in range(count - 1)] + [END_OF_CHAIN])
        chains.append((first, count))
        return first

    directory_start = allocate(directory_sectors)
    mini_fat_start = allocate(mini_fat_sectors) if mini_fat_sectors else END_OF_CHAIN
    mini_stream_start = allocate(mini_stream_sectors) if mini_stream_sectors else END_OF_CHAIN
    for (name, _data), count in zip(large, large_sectors, strict=True):
        start[name] = allocate(count)
    fat += [FREE] * (fat_sectors * (SECTOR // 4) - len(fat))

    entries = [_entry("Root Entry", 5, child=1 if names else NO_STREAM, start=mini_stream_start, size=len(mini))]
    for index, name in enumerate(names, start=1):
        right = index + 1 if index < len(names) else NO_STREAM
        entries.append(_entry(name, 2, right=right, start=start[name], size=len(streams[name])))
    directory = b"".join(entries).ljust(directory_sectors * SECTOR, b"\x00")
    for padding in range(len(entries), directory_sectors * SECTOR // 128):
        directory = directory[: padding * 128] + _entry("", 0) + directory[(padding + 1) * 128 :]

    header = bytearray(SECTOR)
    header[0:8] = bytes.fromhex("D0CF11E0A1B11AE1")
    struct.pack_into("<HHHHH", header, 24, 0x003E, 0x0003, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, fat_sectors, directory_start, 0, MINI_CUTOFF, mini_fat_start,
                     mini_fat_sectors, END_OF_CHAIN, 0)  # fmt: skip
    difat = list(range(fat_sectors)) + [FREE] * (109 - fat_sectors)
    struct.pack_into("<109I", header, 76, *difat)

    body = bytearray(struct.pack(f"<{len(fat)}I", *fat))
    body += directory
    body += struct.pack(f"<{len(mini_fat)}I", *mini_fat).ljust(mini_fat_sectors * SECTOR, b"\xff")
    body += bytes(mini).ljust(mini_stream_sectors * SECTOR, b"\x00")
    for (_name, data), count in zip(large, large_sectors, strict=True):
        body += data.ljust(count * SECTOR, b"\x00")
    return bytes(header) + bytes(body)


def _entry(name: str, kind: int, *, right=NO_STREAM, child=NO_STREAM, start=0, size=0) -> bytes:
    encoded = name.encode("utf-16-le")
    entry = bytearray(128)
    entry[0 : len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded) + 2 if name else 0, kind, 1)  # black
    struct.pack_into("<III", entry, 68, NO_STREAM, right, child)
    struct.pack_into("<IQ", entry, 116, start, size)
    return bytes(entry)
