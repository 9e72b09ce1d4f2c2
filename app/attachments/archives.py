"""Look inside an uploaded zip archive (XLSX and DOCX are zips) by really unpacking it with a
byte cap: the sizes in its central directory are only what the archive claims."""

import struct
import zipfile
import zlib

CHUNK = 64 * 1024
LOCAL_HEADER = struct.Struct("<4s22xHH")  # signature … name length, extra field length
# File types that are archives themselves: never accepted inside an archive.
ARCHIVE_EXTENSIONS = {"zip", "jar", "docx", "docm", "xlsx", "xlsm", "pptx", "odt", "ods", "odp",
                      "7z", "rar", "gz", "tgz", "bz2", "xz", "tar", "cab", "arj", "lzh"}
ARCHIVE_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"Rar!\x1a\x07", b"7z\xbc\xaf\x27\x1c",
                 b"\x1f\x8b", b"BZh", b"\xfd7zXZ\x00", b"MSCF")
STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED


class ArchiveProblem(Exception):
    """Why an archive is refused: "bomb", "nested" or "broken"."""

    def __init__(self, kind: str):
        super().__init__(kind)
        self.kind = kind


def check_unpacked(data: bytes, entries: list[zipfile.ZipInfo], limit: int) -> None:
    """Unpack every entry, counting the bytes that really come out; raise ArchiveProblem when
    the total passes `limit` ("bomb"), an entry is an archive ("nested"), or an entry is not
    what the directory says (size or checksum: "broken")."""
    total = 0
    for entry in entries:
        if entry.is_dir():
            continue
        if entry.filename.rpartition(".")[2].lower() in ARCHIVE_EXTENSIONS:
            raise ArchiveProblem("nested")
        total += _unpacked_size(data, entry, limit - total)


def _unpacked_size(data: bytes, entry: zipfile.ZipInfo, room: int) -> int:
    start = _data_start(data, entry)
    if entry.compress_type == STORED:
        part = data[start:start + entry.compress_size]
        _check_part(entry, part[:8], len(part), zlib.crc32(part), room)
        return len(part)
    if entry.compress_type != DEFLATED:
        raise ArchiveProblem("broken")
    inflater, pending = zlib.decompressobj(-zlib.MAX_WBITS), data[start:]
    size, crc, head = 0, 0, b""
    try:
        while pending and not inflater.eof:
            chunk = inflater.decompress(pending, CHUNK)
            pending = inflater.unconsumed_tail
            if not chunk and not pending:
                break
            head = head or chunk[:8]
            size, crc = size + len(chunk), zlib.crc32(chunk, crc)
            if size > room:
                raise ArchiveProblem("bomb")
    except zlib.error as err:
        raise ArchiveProblem("broken") from err
    if not inflater.eof:
        raise ArchiveProblem("broken")
    _check_part(entry, head, size, crc, room)
    return size


def _check_part(entry: zipfile.ZipInfo, head: bytes, size: int, crc: int, room: int) -> None:
    if head.startswith(ARCHIVE_MAGIC):
        raise ArchiveProblem("nested")
    if size > room:
        raise ArchiveProblem("bomb")
    if size != entry.file_size or crc != entry.CRC:  # a directory that lies
        raise ArchiveProblem("broken")


def _data_start(data: bytes, entry: zipfile.ZipInfo) -> int:
    header = data[entry.header_offset:entry.header_offset + LOCAL_HEADER.size]
    if len(header) < LOCAL_HEADER.size:
        raise ArchiveProblem("broken")
    signature, name_length, extra_length = LOCAL_HEADER.unpack(header)
    if signature != b"PK\x03\x04":
        raise ArchiveProblem("broken")
    return entry.header_offset + LOCAL_HEADER.size + name_length + extra_length
