"""Student ids -> world seeds: each student gets their own world, and anyone can rebuild it from the id."""

from __future__ import annotations

import hashlib
import unicodedata

#: seeds are drawn from [SEED_BASE, SEED_BASE + SEED_RANGE): never the chapters' default seeds (0-999)
SEED_BASE = 1_000
SEED_RANGE = 2**31 - SEED_BASE


def normalise_id(student_id: str) -> str:
    """The id as it is hashed: Unicode NFC, surrounding blanks removed, case folded.

    ``" Ana.Silva "`` and ``"ana.silva"`` are the same student. Raises ``ValueError``
    (naming ``student_id``) for a non-string or blank id.
    """
    if not isinstance(student_id, str):
        raise ValueError(f"student_id: must be a string (got {type(student_id).__name__})")
    text = unicodedata.normalize("NFC", student_id).strip().casefold()
    if not text:
        raise ValueError("student_id: must not be blank (any non-empty text, e.g. a matriculation number)")
    return text


def student_seed(student_id: str) -> int:
    """A stable world seed for ``student_id`` (any non-blank string).

    SHA-256 of the normalised id (:func:`normalise_id`), folded into
    ``[1000, 2**31)``: the same id gives the same seed on every machine and
    Python version (unlike ``hash()``, which is salted per process), and two ids
    collide with probability about 1 in 2 billion.
    """
    digest = hashlib.sha256(normalise_id(student_id).encode("utf-8")).digest()
    return SEED_BASE + int.from_bytes(digest[:8], "big") % SEED_RANGE


def student_slug(student_id: str) -> str:
    """A folder name for the student's edition: the id in lower-case ASCII letters, digits and dashes.

    Falls back to the seed when the id has no such characters (e.g. an id in Chinese characters).
    """
    import re

    text = unicodedata.normalize("NFKD", normalise_id(student_id)).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")[:40]
    return slug or f"seed-{student_seed(student_id)}"
