"""Admins keep the catalog true from Telegram: export, upload, verify, close, reopen, stats."""

from __future__ import annotations

import asyncio
import io
import sys
import tomllib
import zipfile
from datetime import date
from pathlib import Path

import tomli_w

from bot.catalog.edits import MAX_UPLOAD_BYTES, export_zip
from bot.catalog.files import read_catalog
from bot.catalog.store import load_catalog
from bot.catalog.writer import center_to_table
from bot.tg.admin import EDIT_ERRORS
from tests.conftest import ADMIN_ID, REPO, RunningBot
from tests.journey import tr
from tests.results_pages import search, start


def _new_center(center_id: str = "taraz-test-center") -> bytes:
    table = {
        "id": center_id,
        "name_kk": "Тараз сынақ орталығы",
        "name_ru": "Таразский тестовый центр",
        "summary_kk": "Заң кеңесі.",
        "summary_ru": "Юридические консультации.",
        "org_type": "non_state",
        "coverage": "city",
        "place": "taraz",
        "region": "zhambyl",
        "needs": ["legal"],
        "source_urls": ["https://example.org/source"],
        "verified_at": date(2026, 11, 1),
        "verified_by": "admin test",
    }
    return tomli_w.dumps(table).encode()


async def _search_taraz(bot: RunningBot, user_id: int) -> str:
    mother = bot.user(user_id, language_code="ru")
    taraz = bot.services.catalog.place("taraz")
    assert taraz is not None
    _, pages = await search(
        mother, "ru", age="20", child="I am pregnant", city=taraz.name.get("ru"), needs=["legal"]
    )
    return "\n".join(pages)


async def test_admin_commands_do_not_exist_for_mothers(bot: RunningBot) -> None:
    mother = bot.user(5001, language_code="ru")
    await start(mother, "ru")
    for command in ("/stats", "/export", "/admin", "/close almaty-rodnik закрыто", "/center x"):
        mark = mother.mark()
        await mother.send(command)
        # To her it is any unknown command: a kind hint over the question she is at.
        [reply] = mother.since(mark)
        assert tr("ru")._("Sorry, I can only read text and buttons here.") in reply.plain_text
        assert "almaty-rodnik" not in reply.plain_text
    assert bot.services.catalog.center("almaty-rodnik").status == "active"  # type: ignore[union-attr]
    assert not [c for c in bot.harness.server.calls if c.method == "sendDocument"]


async def test_export_sends_the_catalog_as_data_files(bot: RunningBot, tmp_path: Path) -> None:
    admin = bot.user(ADMIN_ID, language_code="ru")
    await admin.send("/export")
    document = admin.last_bot_message()
    assert document.kind == "document" and document.media is not None
    file_id = document.media["document"]["file_id"]
    content = bot.harness.server.files[file_id].content
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        archive.extractall(tmp_path)
    exported, problems = read_catalog(tmp_path / "data")
    assert problems == []
    assert exported == await bot.services.full_catalog()


async def test_uploading_one_center_adds_it_for_mothers(bot: RunningBot) -> None:
    assert "Таразский тестовый центр" not in await _search_taraz(bot, 5002)
    admin = bot.user(ADMIN_ID, language_code="ru")
    await admin.send_document("taraz-test-center.toml", _new_center(), "application/toml")
    assert admin.last_bot_message().plain_text.startswith(
        tr("ru")._("Imported: {centers} centers, {hotlines} lines, {places} places.").split("{")[0]
    )
    stored = await load_catalog(await bot.services.database())
    assert stored.center("taraz-test-center") is not None
    assert "Таразский тестовый центр" in await _search_taraz(bot, 5003)


async def test_a_broken_upload_changes_nothing_and_says_why(bot: RunningBot) -> None:
    admin = bot.user(ADMIN_ID, language_code="kk")
    before, directory = await bot.services.full_catalog(), bot.services.catalog
    broken = _new_center().replace(b'"legal"', b'"flying"')
    assert broken != _new_center()
    await admin.send_document("taraz-test-center.toml", broken, "application/toml")
    reply = admin.last_bot_message().plain_text
    assert reply.startswith(tr("kk")._("Nothing changed. Problems in the file:"))
    assert "flying" in reply and "centers/taraz-test-center.toml" in reply
    assert bot.services.catalog is directory
    assert await load_catalog(await bot.services.database()) == before
    # A zip with a broken file is refused whole, too.
    buffer = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(export_zip(before))) as source,
        zipfile.ZipFile(buffer, "w") as target,
    ):
        for item in source.infolist():
            data = source.read(item)
            if item.filename.endswith("almaty-rodnik.toml"):
                data = data.replace(b"status = ", b"statuss = ")
            target.writestr(item, data)
    await admin.send_document("catalog.zip", buffer.getvalue(), "application/zip")
    assert "almaty-rodnik" in admin.last_bot_message().plain_text
    assert await load_catalog(await bot.services.database()) == before
    await admin.send_document("photo.jpg", b"\xff\xd8", "image/jpeg")
    assert admin.last_bot_message().plain_text == tr("kk")._("Nothing changed: {reason}.").format(
        reason=tr("kk")._("send a .zip of the data folder or one center's .toml file")
    )


async def test_an_upload_too_large_is_refused_before_it_is_downloaded(bot: RunningBot) -> None:
    admin = bot.user(ADMIN_ID, language_code="ru")
    before = bot.services.catalog
    big = b"PK" + b"\0" * MAX_UPLOAD_BYTES
    await admin.send_document("catalog.zip", big, "application/zip")
    t = tr("ru")
    assert admin.last_bot_message().plain_text == t._("Nothing changed: {reason}.").format(
        reason=t._("the file is larger than 2 MB, or its size is unknown")
    )
    assert not [c for c in bot.harness.server.calls if c.method == "getFile"]
    assert bot.services.catalog == before


async def test_zips_that_lie_are_refused_with_a_reason(bot: RunningBot) -> None:
    """A zip bomb, an unknown compression and an encrypted member: one line each."""
    admin = bot.user(ADMIN_ID, language_code="kk")
    t = tr("kk")
    before, directory = await bot.services.full_catalog(), bot.services.catalog
    with zipfile.ZipFile(io.BytesIO(export_zip(before))) as source:
        members = {info.filename: source.read(info) for info in source.infolist()}

    def packed(extra: dict[str, bytes]) -> bytes:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
            for name, data in (members | extra).items():
                target.writestr(name, data)
        return buffer.getvalue()

    bomb = packed({"data/centers/bomb.toml": b"#" + b" " * (MAX_UPLOAD_BYTES + 1)})
    geography = packed({})
    at = geography.index(b"PK\x01\x02")  # the first member's central directory entry
    aes = geography[: at + 10] + (99).to_bytes(2, "little") + geography[at + 12 :]
    local = aes.index(b"PK\x03\x04")
    aes = aes[: local + 8] + (99).to_bytes(2, "little") + aes[local + 10 :]
    encrypted = bytearray(geography)
    for header, offset in ((geography.index(b"PK\x03\x04"), 6), (at, 8)):
        encrypted[header + offset] |= 0x1
    for content, code in ((bomb, "too_large"), (aes, "not_zip"), (bytes(encrypted), "not_zip")):
        await admin.send_document("catalog.zip", content, "application/zip")
        assert admin.last_bot_message().plain_text == t._("Nothing changed: {reason}.").format(
            reason=t._(EDIT_ERRORS[code])
        )
    assert bot.services.catalog is directory
    assert await load_catalog(await bot.services.database()) == before
    assert bot.harness.errors == []


async def test_an_admin_sees_catalog_text_as_written(bot: RunningBot) -> None:
    """/center shows names, sources and notes with < > & in them, and Telegram accepts it."""
    admin = bot.user(ADMIN_ID, language_code="ru")
    table = tomllib.loads(_new_center().decode()) | {
        "name_ru": "Центр <Мать & дитя>",
        "notes": "Телефон <не найден> & адрес тоже; <b>жирным</b> не станет",
        "source_urls": ["https://example.org/?a=1&b=<2>"],
    }
    await admin.send_document(
        "taraz-test-center.toml", tomli_w.dumps(table).encode(), "application/toml"
    )
    await admin.send("/center taraz-test-center")
    reply = admin.last_bot_message()
    for value in (table["name_ru"], table["notes"], table["source_urls"][0]):
        assert value in reply.plain_text
    # Only the bot's own markup (a bold name, an italic note on how it was checked): the
    # "<b>" in the notes stays text.
    assert {e["type"] for e in reply.entities} <= {"bold", "italic"}
    assert "<b>жирным</b>" in reply.plain_text


async def test_close_reopen_and_verify(bot: RunningBot) -> None:
    admin = bot.user(ADMIN_ID, language_code="ru")
    name = bot.services.catalog.center("almaty-zhan-saya").name.get("ru")  # type: ignore[union-attr]
    mother = bot.user(5004, language_code="ru")

    async def zhan_saya_shown() -> bool:
        almaty = bot.services.catalog.place("almaty").name.get("ru")  # type: ignore[union-attr]
        _, pages = await search(
            mother, "ru", age="26–30", child="Older than 1.5 years", city=almaty, needs=["violence"]
        )
        return name in "\n".join(pages)

    assert await zhan_saya_shown()
    await admin.send("/close almaty-zhan-saya Ремонт | Ремонт до весны")
    center = await bot.services.full_center("almaty-zhan-saya")
    assert center is not None and center.status == "temporarily_closed"
    assert center.status_reason.ru == "Ремонт до весны" and center.status_reason.kk == "Ремонт"
    assert not await zhan_saya_shown()
    await admin.send("/reopen almaty-zhan-saya")
    assert await zhan_saya_shown()
    await admin.send("/verify almaty-zhan-saya")
    stored = (await load_catalog(await bot.services.database())).center("almaty-zhan-saya")
    assert stored is not None and stored.provenance.verified_at == date.today()
    assert stored.provenance.verified_by == f"Telegram admin {ADMIN_ID}"
    await admin.send("/verify no-such-center")
    assert admin.last_bot_message().plain_text == tr("ru")._(
        "No center with this id. /export lists them all."
    )


async def test_stats_count_searches_without_users(bot: RunningBot) -> None:
    await _search_taraz(bot, 5005)
    await _search_taraz(bot, 5006)
    admin = bot.user(ADMIN_ID, language_code="ru")
    await admin.send("/stats")
    text = admin.last_bot_message().plain_text
    assert text.startswith(
        tr("ru")
        ._("Searches in the last {days} days: {total}. Nothing near her: {nothing}.")
        .format(days=30, total=2, nothing=0)
    )
    zhambyl = bot.services.catalog.region("zhambyl")
    assert zhambyl is not None and f"{zhambyl.name.get('ru')}: 2" in text
    assert "5005" not in text and "5006" not in text


async def _cli(database: Path, *args: str) -> None:
    """Run `python -m bot …` as another process, as an admin on the server would."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args, cwd=REPO,
        env={"DATABASE_PATH": str(database), "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    _, stderr = await process.communicate()
    assert process.returncode == 0, stderr.decode()


async def test_an_import_by_the_cli_reaches_the_running_bot(
    bot: RunningBot, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    await _cli(bot.settings.database_path, "catalog", "export", str(data))
    center = read_catalog(data)[0].center("almaty-rodnik")
    assert center is not None
    table = center_to_table(center) | {"name_ru": "Родник (новое имя)"}
    (data / "centers" / "almaty-rodnik.toml").write_text(tomli_w.dumps(table), encoding="utf-8")
    await _cli(bot.settings.database_path, "catalog", "import", str(data))
    assert bot.services.catalog.center("almaty-rodnik").name.ru != "Родник (новое имя)"  # type: ignore[union-attr]
    job = next(job for job in bot.app.job_queue.jobs() if job.name == "watch_catalog")
    await job.run(bot.app)
    assert bot.services.catalog.center("almaty-rodnik").name.ru == "Родник (новое имя)"  # type: ignore[union-attr]
