"""How Chinese office mail clients write names, read tolerantly: RFC 2047 encoded-words in any
Chinese charset (also broken or split inside a character), RFC 2231 parameters, raw GBK bytes; and
the safe file name a received name becomes (never a path as-is).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import email
import email.generator
import email.utils
import re
import unicodedata
import urllib.parse
from collections.abc import Iterable

__all__ = [
    "decode_bytes",
    "decode_filename_params",
    "decode_header_text",
    "decode_raw_text",
    "format_sender",
    "safe_filename",
    "unfold",
    "unique_names",
]

# ----------------------------------------------------------------------------------------------------
# Tolerant header decoding


_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?\s]*)\?=")
_GB_ALIASES = frozenset(
    {"gb2312", "gbk", "gb18030", "cp936", "x-gbk", "gb_2312-80", "euc-cn", "x-euc-cn", "csgb2312", "936"}
)


def _codec_for(charset: str) -> str | None:
    """Python codec for a MIME charset; GB2312/GBK are decoded as their superset GB18030."""
    cs = charset.split("*", 1)[0].strip().strip('"').lower()  # RFC 2231 language suffix: utf-8*zh
    if cs in _GB_ALIASES:
        return "gb18030"
    if cs in ("utf8", "utf-8", "unicode-1-1-utf-8"):
        return "utf-8"
    if cs in ("ks_c_5601-1987", "ks_c_5601"):
        return "cp949"
    if cs in ("big5", "big5-hkscs", "x-big5"):
        return "big5hkscs"
    try:
        return codecs.lookup(cs).name
    except LookupError:
        return None


def decode_bytes(data: bytes, charset: str | None) -> str:
    """Decode bytes in a declared charset, falling back to UTF-8 then GB18030 (never raises)."""
    codec = _codec_for(charset) if charset else None
    tried: list[str] = []
    for candidate in (codec, "utf-8", "gb18030"):
        if candidate is None or candidate in tried:
            continue
        tried.append(candidate)
        try:
            return data.decode(candidate)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode(codec or "gb18030", errors="replace")


def _raw_bytes(value: str) -> bytes:
    """The header bytes as found: message_from_bytes keeps 8-bit bytes as surrogate escapes."""
    return value.encode("utf-8", "surrogateescape")


def decode_raw_text(value: str) -> str:
    """Turn a header string that may hold raw 8-bit bytes into text (UTF-8 first, then GB18030)."""
    if value.isascii():
        return value
    return decode_bytes(_raw_bytes(value), None)


def _printable_raw(value: str) -> str:
    """A header value as found, as storable text: raw 8-bit bytes become ``\\xNN`` escapes."""
    return _raw_bytes(value).decode("ascii", errors="backslashreplace")


def unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", "")


def _b64_tolerant(text: str) -> bytes:
    text = re.sub(r"[^A-Za-z0-9+/]", "", text)
    text = text[: len(text) - len(text) % 4] if len(text) % 4 == 1 else text
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        return b""


def _decode_words(text: str) -> str:
    """Decode RFC 2047 encoded-words anywhere in ``text`` (also inside quotes or unquoted).

    Whitespace between adjacent words is dropped, and the bytes of adjacent words in the same charset
    are joined before decoding, so a character split across two words (Outlook does this) survives."""
    if "=?" not in text:
        return text
    pieces: list[tuple[str | None, bytes | str]] = []  # (charset, bytes) for words, (None, text) else
    pos = 0
    for match in _ENCODED_WORD.finditer(text):
        between = text[pos : match.start()]
        previous_is_word = bool(pieces) and pieces[-1][0] is not None
        if between and not (previous_is_word and between.strip() == ""):
            pieces.append((None, between))
        charset, kind, payload = match.group(1), match.group(2).upper(), match.group(3)
        if kind == "B":
            data = _b64_tolerant(payload)
        else:
            data = binascii.a2b_qp(payload.encode("ascii", "replace"), header=True)
        pieces.append((charset.split("*", 1)[0].lower(), data))
        pos = match.end()
    if pos < len(text):
        pieces.append((None, text[pos:]))
    out: list[str] = []
    index = 0
    while index < len(pieces):
        charset, payload = pieces[index]
        if charset is None:
            assert isinstance(payload, str)
            out.append(payload)
            index += 1
            continue
        joined = bytearray()
        while index < len(pieces) and pieces[index][0] == charset:
            chunk = pieces[index][1]
            assert isinstance(chunk, bytes)
            joined += chunk
            index += 1
        out.append(decode_bytes(bytes(joined), charset))
    return "".join(out)


def decode_header_text(value: str | None) -> str:
    """Decode a header (Subject, a display name) tolerantly: raw 8-bit bytes and RFC 2047 words."""
    if not value:
        return ""
    return _decode_words(decode_raw_text(unfold(str(value)))).strip()


def format_sender(value: str | None) -> str:
    if not value:
        return ""
    text = decode_raw_text(unfold(str(value)))
    display, address = email.utils.parseaddr(text)
    display = _decode_words(display).strip()
    if not address:
        return _decode_words(text).strip()
    return f"{display} <{address}>" if display else address


def _split_params(value: str) -> tuple[str, list[tuple[str, str]]]:
    """Split a Content-Type/Disposition value into the main value and (name, value) params.

    Tolerant: ``;`` inside quotes is kept, an unterminated quote runs to the end, and a backslash only
    escapes ``"`` or ``\\`` (Windows paths sent unescaped keep their backslashes)."""
    segments: list[str] = []
    current: list[str] = []
    in_quotes = False
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and in_quotes and index + 1 < len(value) and value[index + 1] in '"\\':
            current.append(value[index : index + 2])
            index += 2
            continue
        if char == '"':
            in_quotes = not in_quotes
        if char == ";" and not in_quotes:
            segments.append("".join(current))
            current = []
        else:
            current.append(char)
        index += 1
    segments.append("".join(current))
    main = segments[0].strip().lower()
    params: list[tuple[str, str]] = []
    for segment in segments[1:]:
        if "=" not in segment:
            continue
        key, _, raw = segment.partition("=")
        raw = raw.strip()
        if raw.startswith('"'):
            body = raw[1:]
            end = len(body)
            probe = 0
            while probe < len(body):
                if body[probe] == "\\" and probe + 1 < len(body) and body[probe + 1] in '"\\':
                    probe += 2
                    continue
                if body[probe] == '"':
                    end = probe
                    break
                probe += 1
            raw = re.sub(r'\\(["\\])', r"\1", body[:end])
        params.append((key.strip().lower(), raw))
    return main, params


def _rfc2231_value(params: list[tuple[str, str]], key: str) -> tuple[str, str] | None:
    """(raw, decoded) of ``key*=`` or ``key*0*=``/``key*1=`` continuations, or None."""
    simple: str | None = None
    sections: dict[int, tuple[str, bool, str]] = {}
    pattern = re.compile(re.escape(key) + r"\*(\d{1,3})(\*?)")
    for name, value in params:
        if name == key + "*":
            simple = value
            continue
        match = pattern.fullmatch(name)
        if match:
            sections.setdefault(int(match.group(1)), (value, match.group(2) == "*", name))
    if simple is not None:
        ordered = [(simple, True, key + "*")]
    elif sections:
        ordered = []
        for number in range(len(sections)):
            if number not in sections:
                break
            ordered.append(sections[number])
    else:
        return None
    charset: str | None = None
    data = bytearray()
    for number, (value, encoded, _name) in enumerate(ordered):
        raw = _raw_bytes(value)
        if encoded:
            if number == 0 and raw.count(b"'") >= 2:
                charset_bytes, _lang, raw = raw.split(b"'", 2)
                charset = charset_bytes.decode("ascii", "replace") or None
            data += urllib.parse.unquote_to_bytes(raw)
        else:
            data += raw
    decoded = decode_bytes(bytes(data), charset)
    raw_text = "; ".join(f"{name}={_printable_raw(value)}" for value, _enc, name in ordered)
    return raw_text, _decode_words(decoded)


def decode_filename_params(content_disposition: str | None, content_type: str | None) -> tuple[str, str] | None:
    """(raw, decoded) attachment name from the two headers, or None when neither carries one.

    Order: ``filename*`` / ``filename`` (Content-Disposition), then ``name*`` / ``name`` (Content-Type);
    a candidate that only decodes with replacement characters gives way to a clean one."""
    candidates: list[tuple[str, str]] = []
    for header, key in ((content_disposition, "filename"), (content_type, "name")):
        if not header:
            continue
        _main, params = _split_params(unfold(str(header)))
        extended = _rfc2231_value(params, key)
        if extended is not None:
            candidates.append(extended)
        for name, value in params:
            if name == key:
                candidates.append((_printable_raw(value), _decode_words(decode_raw_text(value)).strip()))
                break
    candidates = [c for c in candidates if c[1]]
    if not candidates:
        return None
    for candidate in candidates:
        if "\ufffd" not in candidate[1]:
            return candidate
    return candidates[0]


# ----------------------------------------------------------------------------------------------------
# Safe file names


_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
_WINDOWS_ILLEGAL = frozenset('<>:"/\\|?*')
_RESERVED = frozenset(
    ["CON", "PRN", "AUX", "NUL", "CONIN$", "CONOUT$"]
    + [f"{dev}{n}" for dev in ("COM", "LPT") for n in [*"123456789", "¹", "²", "³"]]
)
_MAX_NAME_BYTES = 255


def _split_extension(name: str) -> tuple[str, str]:
    stem, dot, ext = name.rpartition(".")
    if dot and stem and 0 < len(ext) <= 16 and ext.isalnum():
        return stem, "." + ext
    return name, ""


def _is_reserved(name: str) -> bool:
    return name.split(".", 1)[0].rstrip(" ").upper() in _RESERVED


def safe_filename(name: str, *, max_length: int = 120) -> str:
    """A file name that is safe to create on Windows and POSIX: no path parts, no control or bidi
    characters, no characters Windows forbids, no reserved device names, at most ``max_length``
    characters and 255 UTF-8 bytes with the extension kept; never empty."""
    max_length = max(max_length, 24)
    text = unicodedata.normalize("NFC", name)
    text = re.split(r"[\\/]", text)[-1]  # the last path component only
    text = re.sub(r"^[A-Za-z]:", "", text)  # drive-relative "C:evil.xlsx"
    cleaned: list[str] = []
    for char in text:
        category = unicodedata.category(char)
        if char in _BIDI_CONTROLS or category in ("Cc", "Cf", "Cs", "Zl", "Zp"):
            continue
        if char in _WINDOWS_ILLEGAL:
            cleaned.append("_")
        elif category == "Zs":
            cleaned.append(" ")
        else:
            cleaned.append(char)
    # Again after the removals: "E\x1f\u0300" leaves E + a combining accent, which is È composed.
    text = re.sub(r" {2,}", " ", unicodedata.normalize("NFC", "".join(cleaned)))
    text = text.strip(" .")  # trailing dots/spaces are dropped by Windows; leading dots hide files
    if not text:
        text = "attachment"
    stem, ext = _split_extension(text)
    budget = max_length - len(ext)
    stem = stem[:budget]
    while len((stem + ext).encode("utf-8")) > _MAX_NAME_BYTES:
        stem = stem[:-1]
    stem = stem.rstrip(" .")
    if not stem:
        stem = "attachment"
    result = stem + ext
    if _is_reserved(result):
        result = "_" + result
        if len(result) > max_length:
            result = result[: max_length - len(ext)].rstrip(" .") + ext
    return result


def unique_names(names: Iterable[str]) -> list[str]:
    """Make names unique (case-insensitively, as Windows compares): ``x.xlsx``, ``x (2).xlsx``, …"""
    used: set[str] = set()
    result: list[str] = []
    for name in names:
        candidate = name
        stem, ext = _split_extension(name)
        number = 2
        while candidate.casefold() in used:
            candidate = f"{stem} ({number}){ext}"
            number += 1
        used.add(candidate.casefold())
        result.append(candidate)
    return result
