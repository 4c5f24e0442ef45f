"""Text that came from outside (a file name on the SFTP server, what the other party wrote in a notice or an answer)
made safe to show on a terminal, in a log or a report, and to use as a local file name.

``printable`` escapes every character a terminal or a reader could be fooled by: control characters (a CR or LF
would start a forged line of output, ESC starts a terminal escape sequence: clear screen, colours), format
characters such as the bidi overrides (U+202E reverses what the reader sees) and line or paragraph separators. They
appear as Python escapes (``\\r``, ``\\x1b``, ``\\u202e``), and a backslash as ``\\\\``, so what is shown is
unambiguous. ``safe_file_name`` maps a name to one that is harmless on disk: letters, digits, ``.``, ``_``, ``-``, not
starting with a dot, at most ``MAX_NAME`` characters; a name that needed changing gets a digest of the original, so two
different names never land on the same file.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

MAX_NAME = 120
"""Longest local name ``safe_file_name`` returns: well under the 255 bytes of common file systems, with room for the
temp-file prefix and suffix a download adds."""
MAX_SHOWN = 200
"""Longest text ``printable`` shows by default; the rest is replaced by a count."""

_UNSAFE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"})
_SAFE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9._-]")


def _escaped(char: str) -> str:
    if char == "\\":
        return "\\\\"
    if unicodedata.category(char) not in _UNSAFE_CATEGORIES:
        return char
    code = ord(char)
    if char in "\r\n\t":
        return {"\r": "\\r", "\n": "\\n", "\t": "\\t"}[char]
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def printable(text: str, limit: int | None = MAX_SHOWN) -> str:
    """``text`` with every control, format and separator character escaped; cut after ``limit`` characters."""
    cut = text if limit is None or len(text) <= limit else text[:limit]
    shown = "".join(map(_escaped, cut))
    return shown if cut is text else f"{shown}… ({len(text)} characters)"


def without_unsafe(text: str) -> str:
    """``text`` without the characters ``printable`` escapes, for a reader who needs no trace of them (a chart label
    or a table cell in a report): control, format (bidi overrides) and separator characters are removed."""
    return "".join(char for char in text if unicodedata.category(char) not in _UNSAFE_CATEGORIES)


def safe_file_name(name: str, suffixes: tuple[str, ...] = ()) -> str:
    """``name`` when it is a plain, short file name; otherwise a plain one built from it and a digest of it, ending
    in the first of ``suffixes`` ``name`` ends with (so a manifest stays recognisable as one)."""
    if len(name) <= MAX_NAME and _SAFE_NAME.fullmatch(name):
        return name
    suffix = next((s for s in suffixes if name.endswith(s)), "")
    digest = hashlib.sha256(name.encode("utf-8", "surrogateescape")).hexdigest()[:16]
    stem = _UNSAFE_IN_NAME.sub("_", name[: len(name) - len(suffix)]).lstrip("._-")
    room = MAX_NAME - len(suffix) - len(digest) - 1
    return f"{stem[:room]}~{digest}{suffix}"
