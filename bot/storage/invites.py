"""One-time links that let a center's coordinator confirm or correct its own entry, and the
corrections that wait for an admin's approval.

A link is `https://t.me/<bot>?start=c_<token>`: the token is 32 random characters of
[A-Za-z0-9_-] (192 bits), and only its SHA-256 is stored, with the center, the admin who
made it, its expiry (14 days) and when it was used. A random token rather than an HMAC
signature: single use needs a row per link anyway, a random token needs no key that could
leak or must be rotated, and a copy of the database holds no working link (only hashes).
The first opening uses the link up; a used or expired link is no link at all.
"""

from __future__ import annotations

import hashlib
import json
import re
import secrets
from dataclasses import dataclass
from datetime import date

import aiosqlite

from bot.core import clock
from bot.storage.applied import claim
from bot.storage.db import Database

INVITE_DAYS = 14
PREFIX = "c_"
_TOKEN_BYTES = 24  # 32 characters in URL-safe base64
_PAYLOAD = re.compile(r"^c_([A-Za-z0-9_-]{32})$")
# Used and expired links are kept a while (an admin may ask why a link did not work).
_KEEP_SECONDS = 30 * 86400


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_of(payload: str) -> str | None:
    """The token of a start payload that looks like an invite, else None."""
    match = _PAYLOAD.fullmatch(payload)
    return match.group(1) if match else None


async def create_invite(
    db: Database, center_id: str, created_by: str, *, update_id: int | None = None
) -> str:
    """A new link's start payload (`c_<token>`); only the token's hash is stored.
    `AlreadyApplied` if `update_id` made a link before."""
    token = secrets.token_urlsafe(_TOKEN_BYTES)
    stamp = clock.now()
    async with db.transaction() as conn:
        await claim(conn, update_id)
        await conn.execute(
            "DELETE FROM center_invites WHERE expires_at < ? OR used_at < ?",
            (stamp - _KEEP_SECONDS, stamp - _KEEP_SECONDS),
        )
        await conn.execute(
            "INSERT INTO center_invites (token_hash, center_id, created_by, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?)",
            (_hash(token), center_id, created_by, stamp, stamp + INVITE_DAYS * 86400),
        )
    return PREFIX + token


async def use_invite(db: Database, payload: str) -> str | None:
    """The center a valid, unused, unexpired link is for; the link is used up at once."""
    token = token_of(payload)
    if token is None:
        return None
    stamp = clock.now()
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "UPDATE center_invites SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING center_id",
            (stamp, _hash(token), stamp),
        )
        # Read to the end before COMMIT: a RETURNING statement not stepped to its end is
        # still in progress, and COMMIT can fail with "SQL statements in progress".
        rows = list(await cursor.fetchall())
    return str(rows[0][0]) if rows else None


@dataclass(frozen=True)
class Proposal:
    """What a center sent: (field, value as typed) pairs; none means "all is correct"."""

    id: int
    center_id: str
    changes: tuple[tuple[str, str], ...]
    day: date


async def add_proposal(
    db: Database, center_id: str, changes: list[tuple[str, str]], day: date
) -> int:
    """Keep a center's word until an admin approves or rejects it; returns its number."""
    async with db.transaction() as conn:
        cursor = await conn.execute(
            "INSERT INTO center_proposals (center_id, changes, day) VALUES (?, ?, ?)",
            (center_id, json.dumps(changes, ensure_ascii=False), day.isoformat()),
        )
        number = cursor.lastrowid
    assert number is not None
    return number


def _proposal(row: aiosqlite.Row) -> Proposal:
    pairs = tuple((str(f), str(v)) for f, v in json.loads(row[2]))
    return Proposal(row[0], row[1], pairs, date.fromisoformat(row[3]))


async def proposals(db: Database) -> list[Proposal]:
    """Every proposal waiting for an admin, oldest first."""
    async with db.conn.execute(
        "SELECT id, center_id, changes, day FROM center_proposals ORDER BY id"
    ) as cursor:
        return [_proposal(row) for row in await cursor.fetchall()]


async def proposal(db: Database, number: int) -> Proposal | None:
    """One waiting proposal."""
    async with db.conn.execute(
        "SELECT id, center_id, changes, day FROM center_proposals WHERE id = ?", (number,)
    ) as cursor:
        row = await cursor.fetchone()
    return _proposal(row) if row else None


async def drop_proposal(conn: aiosqlite.Connection, number: int) -> None:
    """Remove a handled proposal inside the caller's transaction."""
    await conn.execute("DELETE FROM center_proposals WHERE id = ?", (number,))


async def reject_proposal(db: Database, number: int, *, update_id: int | None = None) -> bool:
    """Remove a proposal without using it; False if there is none."""
    async with db.transaction() as conn:
        await claim(conn, update_id)
        cursor = await conn.execute("DELETE FROM center_proposals WHERE id = ?", (number,))
        return cursor.rowcount > 0
