"""`python -m bot …`: run the bot, check/import/export the catalog, try a match."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

import aiosqlite

from bot.catalog.files import CatalogError, read_catalog, warnings_of
from bot.catalog.store import load_catalog, replace_catalog
from bot.catalog.writer import write_catalog
from bot.config import ConfigError, Settings, load_settings
from bot.core.answers import Answers
from bot.core.codes import LANGUAGES, Language, Need
from bot.core.geo import Gazetteer
from bot.core.matching import Matcher, MatchResult
from bot.core.model import Catalog
from bot.core.reasons import CheckLimit
from bot.i18n import translator
from bot.render import (
    condition_text,
    left_out_text,
    location_name,
    plain,
    reason_text,
    summary_line,
)
from bot.services import DATA_DIR, open_seeded_database
from bot.storage.db import DatabaseError
from bot.storage.migrations import open_database


class _Parser(argparse.ArgumentParser):
    """argparse that reports a bad argument as one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"error: {message}\n")


def _whole_number(text: str) -> int | None:
    """`text` as an int when it is one ("-3" is), else None."""
    try:
        return int(text)
    except ValueError:
        return None


def _age(text: str) -> int:
    years = _whole_number(text)
    if years is None:
        raise argparse.ArgumentTypeError(f"age must be a whole number of years, got {text!r}")
    if not 1 <= years <= 99:
        raise argparse.ArgumentTypeError(f"age must be between 1 and 99 years, got {years}")
    return years


def _months(text: str) -> int:
    months = _whole_number(text)
    if months is None:
        raise argparse.ArgumentTypeError(
            f"child's age must be a whole number of months, got {text!r}"
        )
    if not 0 <= months <= 18 * 12:
        raise argparse.ArgumentTypeError(f"child's age must be 0–216 months, got {months}")
    return months


def _need(text: str) -> Need:
    if text not in tuple(Need):
        raise argparse.ArgumentTypeError(f"unknown need {text!r}; known: {', '.join(Need)}")
    return Need(text)


def _coordinate(text: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a coordinate: {text!r}") from None


def _directory(text: str) -> Path:
    """A directory of data files that must already exist (check and import read it)."""
    path = Path(text)
    if not path.exists():
        raise argparse.ArgumentTypeError(f"{text} does not exist")
    if not path.is_dir():
        raise argparse.ArgumentTypeError(f"{text} is a file, not a directory of data files")
    return path


def _program_name() -> str:
    """`ana-komek` when started by the console script, else how `-m` started it."""
    return "ana-komek" if Path(sys.argv[0]).name == "ana-komek" else "python -m bot"


RUN_HELP = (
    "run the bot (the default): long polling, or a webhook when WEBHOOK_URL is set; "
    "settings come from the environment and .env (see the README)"
)


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=_program_name(), description="Ana Komek: help for young mothers.")
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("run", help=RUN_HELP, description=RUN_HELP)

    catalog = commands.add_parser("catalog", help="check, import or export the catalog files")
    catalog_commands = catalog.add_subparsers(dest="action", required=True)
    check = catalog_commands.add_parser("check", help="validate data files; exit 1 on problems")
    check.add_argument("path", nargs="?", type=_directory, default=DATA_DIR)
    imp = catalog_commands.add_parser("import", help="replace the database catalog, all or nothing")
    imp.add_argument("path", type=_directory)
    exp = catalog_commands.add_parser("export", help="write the database catalog as data files")
    exp.add_argument("path", type=Path)

    i18n = commands.add_parser("i18n", help="extract messages or check the translations")
    i18n.add_argument("action", choices=("extract", "check"))

    database = commands.add_parser("db", help="back up the database while the bot runs")
    database_commands = database.add_subparsers(dest="action", required=True)
    backup = database_commands.add_parser("backup", help="copy the database to PATH, safely")
    backup.add_argument("path", type=Path)

    match = commands.add_parser("match", help="show which centers fit a mother")
    match.add_argument("--age", type=_age, required=True)
    child = match.add_mutually_exclusive_group(required=True)
    child.add_argument("--pregnant", action="store_true")
    child.add_argument("--child-months", type=_months)
    match.add_argument("--city")
    match.add_argument("--lat", type=_coordinate)
    match.add_argument("--lon", type=_coordinate)
    match.add_argument("--need", type=_need, action="append", required=True)
    # Plain strings: argparse shows the choices with repr(), and an enum's repr is noise.
    match.add_argument("--lang", choices=[str(lang) for lang in LANGUAGES], default="ru")
    match.add_argument("--json", action="store_true")
    match.add_argument("--explain", action="store_true")
    return parser


def _settings() -> Settings:
    return load_settings(require_token=False)


async def _check(path: Path) -> int:
    catalog, problems = read_catalog(path)
    for problem in problems:
        print(problem)
    if problems:
        print(f"{len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    # Old or undated sources are allowed (they are all some places have), but listed.
    warnings = warnings_of(catalog)
    for warning in warnings:
        print(f"warning: {warning}")
    print(f"{path}: catalog is valid" + (f" ({len(warnings)} warning(s))" if warnings else ""))
    return 0


async def _import(path: Path) -> int:
    catalog, problems = read_catalog(path)
    if problems:
        for problem in problems:
            print(problem)
        print(f"nothing imported: {len(problems)} problem(s) in {path}", file=sys.stderr)
        return 1
    db = await open_seeded_database(_settings().database_path)
    try:
        await replace_catalog(db, catalog)
    finally:
        await db.close()
    print(
        f"imported {len(catalog.centers)} centers, {len(catalog.hotlines)} hotlines, "
        f"{len(catalog.regions)} regions, {len(catalog.places)} places"
    )
    return 0


async def _export(path: Path) -> int:
    db = await open_seeded_database(_settings().database_path)
    try:
        catalog = await load_catalog(db)
    finally:
        await db.close()
    write_catalog(catalog, path)
    print(f"exported {len(catalog.centers)} centers to {path}")
    return 0


def _result_json(
    result: MatchResult, args: argparse.Namespace, where: str, catalog: Catalog
) -> dict[str, Any]:
    t = translator(args.lang)
    doc: dict[str, Any] = {
        "where": where,
        "tier": result.tier,
        "local_count": result.local_count,
        "summary": plain(summary_line(result, where, t)),
        "results": [
            {
                "id": m.center.id,
                "name": m.center.name.get(t.lang),
                "city": location_name(catalog, m.center.place, m.center.region or "", t),
                "region": m.center.region,
                "tier": m.tier,
                "distance_km": round(m.distance_km, 1) if m.distance_km is not None else None,
                "needs_met": list(m.needs_met),
                "reasons": [plain(reason_text(r, catalog, t)) for r in m.reasons],
                "conditions": [plain(condition_text(c, t)) for c in m.conditions],
                "soft_rules": [str(c.limit) for c in m.conditions if isinstance(c, CheckLimit)],
                "verified_how": m.center.provenance.verified_how,
                "verified_at": m.center.provenance.verified_at.isoformat(),
            }
            for m in result.matches
        ],
        "hotlines": [
            {"number": h.number, "name": h.name.get(t.lang), "purpose": h.purpose.get(t.lang),
             "emergency": h.emergency}
            for h in result.hotlines
        ],
    }  # fmt: skip
    if args.explain:
        doc["excluded"] = [
            {"id": e.center.id, "reasons": [plain(left_out_text(r, t)) for r in e.reasons]}
            for e in result.excluded
        ]
    return doc


async def _match(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if (args.lat is None) != (args.lon is None) or (args.city is None) == (args.lat is None):
        parser.error("give either --city NAME or both --lat and --lon")
    db = await open_seeded_database(_settings().database_path)
    try:
        catalog = await load_catalog(db)
    finally:
        await db.close()
    gazetteer = Gazetteer(catalog)
    if args.city is not None:
        location = gazetteer.resolve(args.city)
        if location is None:
            parser.error(f"unknown city or region {args.city!r}")
    else:
        location = gazetteer.nearest(args.lat, args.lon)
        if location is None:
            parser.error("that point is not in Kazakhstan")
    assert location is not None
    # The same path as the bot: her answers, then the search they ask for.
    answers = Answers(
        language=Language(args.lang),
        age=args.age,
        pregnant=args.pregnant,
        child_months=args.child_months,
        region=location.region,
        place=location.place,
        needs=tuple(n for n in Need if n in args.need),
    )
    query = answers.to_query(gazetteer)
    assert query is not None
    result = Matcher(catalog).match(query, explain=args.explain)
    t = translator(args.lang)
    where = location_name(catalog, query.location.place, query.location.region, t)
    doc = _result_json(result, args, where, catalog)
    if args.json:
        print(json.dumps(doc, ensure_ascii=False, indent=2))
        return 0
    print(doc["summary"])
    for i, item in enumerate(doc["results"], 1):
        print(f"\n{i}. {item['name']} [{item['tier']}] ({item['id']})")
        for line in item["reasons"]:
            print(f"   + {line}")
        for line in item["conditions"]:
            print(f"   ! {line}")
        for rule in item["soft_rules"]:
            print(f"   ~ soft rule, not a reason to leave her out: {rule}")
    print()
    for hotline in doc["hotlines"]:
        print(f"{hotline['number']}: {hotline['purpose']}")
    for item in doc.get("excluded", []):
        print(f"- left out {item['id']}: {'; '.join(item['reasons'])}")
    return 0


async def _backup(path: Path) -> int:
    """SQLite's online backup: a consistent copy while the bot keeps writing."""
    # A one-off command, nothing else runs: blocking checks are fine (ASYNC240).
    if path.exists():  # noqa: ASYNC240
        print(f"error: {path} exists; choose a new file", file=sys.stderr)
        return 2
    if not path.parent.is_dir():
        # A typo in the path must not quietly create directories somewhere unexpected.
        print(f"error: no directory {path.parent} for the backup; create it first", file=sys.stderr)
        return 2
    source = _settings().database_path
    if not source.is_file():
        # Opening it would create an empty database and "back it up" as if all were well.
        where = "" if source.is_absolute() else f" (DATABASE_PATH, from {Path.cwd()})"
        print(f"error: no database at {source}{where}; nothing backed up", file=sys.stderr)
        return 2
    db = await open_database(source)
    try:
        # Private before a byte is copied into it: the copy holds her conversation too.
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        target = await aiosqlite.connect(path)
        try:
            await db.conn.backup(target)
        finally:
            await target.close()
    finally:
        await db.close()
    path.chmod(0o600)  # noqa: ASYNC240
    print(f"backed up {source} to {path}")
    return 0


def _i18n(action: str) -> int:
    from bot import i18n_tools

    if action == "extract":
        changed = i18n_tools.extract()
        for path in changed:
            print(f"updated {os.path.relpath(path)}")
        if not changed:
            print("nothing changed: the translation files were up to date with the code")
        return 0
    problems = i18n_tools.check()
    for problem in problems:
        print(problem)
    return 1 if problems else 0


def _dispatch(args: argparse.Namespace, parser: argparse.ArgumentParser) -> int:
    if args.command in (None, "run"):
        from bot.app import run

        return run(load_settings())
    if args.command == "i18n":
        return _i18n(args.action)
    if args.command == "db":
        return asyncio.run(_backup(args.path))
    if args.command == "catalog":
        action = {"check": _check, "import": _import, "export": _export}[args.action]
        return asyncio.run(action(args.path))
    return asyncio.run(_match(args, parser))


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = _dispatch(args, parser)
        sys.stdout.flush()  # a closed pipe shows here, where it is handled, not at exit
        return code
    except BrokenPipeError:
        # The reader went away (`… | head`): what it read is all it wanted, no error line.
        # Point stdout at /dev/null so the flush at exit does not raise a second time.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except DatabaseError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:  # a path given on the command line cannot be written or read
        where = f": {exc.filename}" if exc.filename else ""
        print(f"error: {exc.strerror or exc}{where}", file=sys.stderr)
        return 2
    except CatalogError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        print(f"error: the catalog files have {len(exc.problems)} problem(s)", file=sys.stderr)
        return 1
