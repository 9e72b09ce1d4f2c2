"""Find active content in an uploaded PDF: JavaScript, launch and form-submit actions, and
actions run on opening (an /OpenAction or /AA dictionary), also when the names are written
with #-escapes or hidden in a compressed object stream."""

import re
import zlib

NAME = re.compile(rb"/[^\s/<>\[\]()%{}]+")
ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
# Checked in this order, so that the message names the most telling find.
ACTIVE = (re.compile(rb"/(JavaScript|JS|Launch|SubmitForm|ImportData|RichMedia|GoToE)"
                     rb"(?![^\s/<>\[\]()%{}])"),
          re.compile(rb"/(OpenAction|AA)\s*<<"))
STREAM = re.compile(rb"stream\r?\n")
OBJECT_STREAM = re.compile(rb"/Type\s*/ObjStm")
MAX_INFLATED = 32 * 1024 * 1024  # of object streams in one file; they hold only dictionaries


def active_content(data: bytes) -> str | None:
    """Return the name of the first active content found (e.g. "JavaScript"), or None."""
    found = _active(data)
    if found:
        return found
    room = MAX_INFLATED
    for text in _object_streams(data):
        found = _active(text)
        if found:
            return found
        room -= len(text)
        if room <= 0:
            return "ObjStm"  # more packed dictionaries than any real document has
    return None


def _active(text: bytes) -> str | None:
    text = NAME.sub(_unescape, text)
    for pattern in ACTIVE:
        match = pattern.search(text)
        if match:
            return match.group(1).decode("ascii")
    return None


def _unescape(name: re.Match) -> bytes:
    return ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), name.group(0))


def _object_streams(data: bytes):
    """Yield the inflated contents of the object streams (/Type /ObjStm, FlateDecode)."""
    for match in STREAM.finditer(data):
        dictionary = data[max(0, match.start() - 1024):match.start()]
        dictionary = dictionary[dictionary.rfind(b"obj"):]
        if not OBJECT_STREAM.search(NAME.sub(_unescape, dictionary)):
            continue
        end = data.find(b"endstream", match.end())
        body = data[match.end():end if end >= 0 else len(data)]
        try:
            yield zlib.decompressobj().decompress(body, MAX_INFLATED)
        except zlib.error:
            continue
