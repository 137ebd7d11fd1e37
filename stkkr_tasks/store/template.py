"""Message templates: AFAS's error text with everything removed that is not known to be safe.

AFAS quotes values its own way (`1.234,50`, `1 mei 2024`, `PIET DE BOER`, `O&#39;Brien`, cut short) and names
other records than the one refused ("Medewerker Piet de Boer is uit dienst"), so removing the row's own
values is not enough. A template keeps only what is known to be safe: AFAS's wording (`_vocabulary`), the
field ids and labels of the stkkr's connectors, punctuation and whitespace. Everything else - quoted spans
that are not a field label, numbers, amounts, dates, e-mail addresses, postcodes, IBANs, HTML-escaped text
and name-like runs - becomes `'<value>'`, one per run (`Piet de Boer` is one value).
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from dataclasses import dataclass
from enum import Enum

from stkkr_tasks.store._vocabulary import CAPITALISED, PARTICLES, WORDS

__all__ = ["PLACEHOLDER", "message_template"]

PLACEHOLDER = "'<value>'"
#: Longer messages are cut first (with `…`): what is cut cannot leak, and the work per message stays bounded.
MAX_LENGTH = 2000
_MIN_NAME = 2
_PUNCTUATION = frozenset(".,:;!?()[]{}-–—/…'\"%+=")
_QUOTED = re.compile(r"""(?<!\w)(?:'(.*?)'|"(.*?)"|‘(.*?)’|“(.*?)”|«(.*?)»)(?!\w)""")
_SPACE = re.compile(r"(\s+)")
_EDGE = "([{<'\"‘“«.,:;!?)]}>’”»…"
_PARTS = re.compile(r"[-/]")
#: A name counts only standing alone: not glued to other text (`status.jansen@example.nl` is one value).
_ALONE = r"""(?<![^\s(\[{{'"‘“«])(?:{})(?=[)\]}}'"’”»]*[.,:;!?]*(?:\s|$))"""


class _Kind(Enum):
    KEEP = "keep"
    VALUE = "value"
    SPACE = "space"
    PARTICLE = "particle"


@dataclass
class _Token:
    kind: _Kind
    text: str


class _Names:
    """The field ids and labels a template may keep, matched as whole words and ignoring case."""

    def __init__(self, names: Iterable[str]) -> None:
        kept = {name.strip() for name in names if len(name.strip()) >= _MIN_NAME}
        self._folded = {name.casefold() for name in kept}
        ordered = sorted(kept, key=len, reverse=True)
        body = "|".join(re.escape(name) for name in ordered)
        self.pattern = re.compile(_ALONE.format(body), re.IGNORECASE) if ordered else None

    def __contains__(self, text: str) -> bool:
        return text.casefold() in self._folded


def message_template(message: str, names: Iterable[str] = ()) -> str:
    """AFAS's message with every token that is not known to be safe replaced by `'<value>'`.

    Kept: the words of AFAS's messages and ordinary Dutch and English words (lowercase, or capitalised where
    a sentence starts), the given field ids and labels (also when quoted), punctuation and whitespace.
    Replaced: everything else, one `'<value>'` per run of adjacent values; name particles between two
    values (`de`, `van der`) or starting a name (`De Boer`) belong to the value.

    Args:
        message: AFAS's `externalMessage` (or any text that may quote values).
        names: Field ids, labels, object and connector names of the stkkr's connectors (from metainfo).

    Returns:
        The template, safe to store without consent (a message over `MAX_LENGTH` characters is cut first).

    Example:
        >>> message_template("Medewerker Piet de Boer is uit dienst per 1 mei 2024.")
        "Medewerker '<value>' is uit dienst per '<value>'."
    """
    known = _known(frozenset(names))
    if len(message) > MAX_LENGTH:
        message = message[:MAX_LENGTH] + " …"
    tokens: list[_Token] = []
    position = 0
    for match in _QUOTED.finditer(message):
        tokens += _plain(message[position : match.start()], known)
        inner = next(group for group in match.groups() if group is not None)
        tokens.append(_Token(_Kind.KEEP, match.group()) if inner.strip() in known else _value())
        position = match.end()
    tokens += _plain(message[position:], known)
    return _render(_absorb_particles(_sentence_starts(tokens)))


@functools.lru_cache(maxsize=16)
def _known(names: frozenset[str]) -> _Names:
    """The compiled names of a run (every failed row of a run passes the same ones)."""
    return _Names(names)


def _value() -> _Token:
    return _Token(_Kind.VALUE, PLACEHOLDER)


def _plain(text: str, known: _Names) -> list[_Token]:
    """Tokens of unquoted text: known names first (they may hold spaces), then word by word."""
    if known.pattern is None:
        return _words(text, known)
    tokens: list[_Token] = []
    position = 0
    for match in known.pattern.finditer(text):
        tokens += _words(text[position : match.start()], known)
        tokens.append(_Token(_Kind.KEEP, match.group()))
        position = match.end()
    return tokens + _words(text[position:], known)


def _words(text: str, known: _Names) -> list[_Token]:
    tokens: list[_Token] = []
    for chunk in _SPACE.split(text):
        if not chunk:
            continue
        if chunk.isspace():
            tokens.append(_Token(_Kind.SPACE, chunk))
            continue
        core = chunk.lstrip(_EDGE)
        lead = chunk[: len(chunk) - len(core)]
        stripped = core.rstrip(_EDGE)
        trail = core[len(stripped) :]
        tokens += [_edge(lead), _word(stripped, known), _edge(trail)]
    return [token for token in tokens if token.text]


def _edge(text: str) -> _Token:
    return _Token(_Kind.KEEP if set(text) <= _PUNCTUATION else _Kind.VALUE, text)


def _word(word: str, known: _Names) -> _Token:
    if word.lower() in PARTICLES:
        return _Token(_Kind.PARTICLE, word)
    if _safe(word, known):
        return _Token(_Kind.KEEP, word)
    parts = [part for part in _PARTS.split(word) if part]
    if parts and len(parts) > 1 and all(_safe(part, known) for part in parts):
        return _Token(_Kind.KEEP, word)
    return _Token(_Kind.VALUE, word)


def _safe(word: str, known: _Names) -> bool:
    return word in WORDS or word in CAPITALISED or word in known or (bool(word) and set(word) <= _PUNCTUATION)


def _sentence_starts(tokens: list[_Token]) -> list[_Token]:
    """An ordinary word keeps its capital where a sentence starts (`Ongeldige waarde.`, `Invalid value`)."""
    starts = True
    for index, token in enumerate(tokens):
        if token.kind is _Kind.SPACE:
            continue
        word = token.text
        capitalised = word[:1].isupper() and word[1:] == word[1:].lower()
        if starts and token.kind is _Kind.VALUE and capitalised and word.lower() in WORDS:
            tokens[index] = _Token(_Kind.KEEP, word)
        starts = word.endswith((".", "!", "?", ":"))
    return tokens


def _absorb_particles(tokens: list[_Token]) -> list[_Token]:
    """Particles join the values around them: `Piet de Boer`, `De Boer`, `PIET VAN DER BERG`."""
    words = [index for index, token in enumerate(tokens) if token.kind is not _Kind.SPACE]
    for position, index in enumerate(words):
        if tokens[index].kind is not _Kind.PARTICLE:
            continue
        end = position
        while end < len(words) and tokens[words[end]].kind is _Kind.PARTICLE:
            end += 1
        after = tokens[words[end]].kind if end < len(words) else None
        start = position
        while start > 0 and tokens[words[start - 1]].kind is _Kind.PARTICLE:
            start -= 1
        before = tokens[words[start - 1]].kind if start > 0 else None
        first = tokens[words[start]].text
        name_after = after is _Kind.VALUE and tokens[words[end]].text[:1].isupper()
        starts_name = first[:1].isupper() and name_after
        if (before is _Kind.VALUE and after is _Kind.VALUE) or starts_name:
            tokens[index] = _Token(_Kind.VALUE, tokens[index].text)
    return tokens


def _render(tokens: list[_Token]) -> str:
    """The text with each run of values (and the spaces inside it) as one `'<value>'`."""
    out: list[str] = []
    pending_space = ""
    in_value = False
    for token in tokens:
        if token.kind is _Kind.SPACE:
            pending_space += token.text
            continue
        if token.kind is _Kind.VALUE:
            if not in_value:
                out.append(pending_space + PLACEHOLDER)
            in_value = True
        else:
            out.append(pending_space + token.text)
            in_value = False
        pending_space = ""
    out.append(pending_space)
    return "".join(out)
