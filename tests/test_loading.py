"""pijler3.loading: the happy path with lineage, and every malformed input rejected with file, line and reason while
the tables of the previous load stay as they were."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb
import pytest

from pijler3 import envelope, keys
from pijler3.envelope import ContentMismatchError, Manifest
from pijler3.errors import InputError
from pijler3.loading import KBI_CSV_COLUMNS, VDAB_PARQUET_COLUMNS, load_exchange_csv, load_extract
from staging_fixtures import KBI_PERSONEN, VDAB, csv_text, write_kbi, write_parquet, write_vdab

PERSONEN = KBI_CSV_COLUMNS["personen"]


def rows(database: Path, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(sql).fetchall()


def snapshot(database: Path) -> dict[str, list[tuple[object, ...]]]:
    with duckdb.connect(str(database), read_only=True) as con:
        tables = [
            f"{s}.{t}"
            for s, t in con.execute("select schema_name, table_name from duckdb_tables() order by all").fetchall()
        ]
        return {t: con.execute(f"select * from {t} order by _regelnummer").fetchall() for t in tables}


def write_personen(folder: Path, text: str | bytes) -> None:
    data = text if isinstance(text, bytes) else ("\ufeff" + text).encode("utf-8")
    (folder / "personen.csv").write_bytes(data)


@pytest.fixture
def kbi(tmp_path: Path) -> Path:
    return write_kbi(tmp_path / "extract" / "kbi")


@pytest.fixture
def loaded(tmp_path: Path, kbi: Path) -> Path:
    """A database with a good KBI load, to prove a failing load leaves it untouched."""
    database = tmp_path / "restricted.duckdb"
    load_extract("kbi", kbi, database)
    return database


def test_kbi_csv_loads_as_varchar_with_lineage(tmp_path: Path, kbi: Path) -> None:
    database = tmp_path / "restricted.duckdb"
    loaded = load_extract("kbi", kbi, database)

    assert [(t.table, t.rijen) for t in loaded] == [("bron_kbi.personen", 6), ("bron_kbi.insz_vervangingen", 3)]
    digest = hashlib.sha256((kbi / "personen.csv").read_bytes()).hexdigest()
    assert loaded[0].sha256 == digest
    types = rows(database, "select data_type from duckdb_columns() where table_name = 'personen'")
    assert {t for (t,) in types} == {"VARCHAR", "BIGINT"}
    got = rows(
        database,
        "select insz, plo_reden_besluit, _bronbestand, _regelnummer, _bestand_sha256 "
        "from bron_kbi.personen order by _regelnummer",
    )
    # header = line 1, so the rows are lines 2..7 in file order; empty fields are NULL; quoting is undone
    assert [r[3] for r in got] == [2, 3, 4, 5, 6, 7]
    assert [r[0] for r in got] == [row[0] or None for row in KBI_PERSONEN]
    assert got[5][1] == 'andere; "zie dossier"'
    assert {(r[2], r[4]) for r in got} == {("personen.csv", digest)}


def test_file_without_bom_is_accepted(tmp_path: Path, kbi: Path) -> None:
    (kbi / "personen.csv").write_bytes(csv_text(PERSONEN, KBI_PERSONEN).encode("utf-8"))
    loaded = load_extract("kbi", kbi, tmp_path / "db.duckdb")
    assert loaded[0].rijen == len(KBI_PERSONEN)


def test_vdab_parquet_loads_typed_with_row_numbers(tmp_path: Path) -> None:
    folder = write_vdab(tmp_path / "extract" / "vdab")
    database = tmp_path / "vdab.duckdb"
    loaded = load_extract("vdab", folder, database)

    assert {t.table: t.rijen for t in loaded} == {f"bron_vdab.{stem}": len(r) for stem, r in VDAB.items()}
    got = rows(database, "select klant_id, insz, _bronbestand, _regelnummer from bron_vdab.personen order by 4")
    assert got == [(k, i, "personen.parquet", n) for n, (k, i) in enumerate(VDAB["personen"], start=1)]
    types = dict(rows(database, "select column_name, data_type from duckdb_columns() where table_name = 'acties'"))
    assert types == {
        **VDAB_PARQUET_COLUMNS["acties"],
        "_bronbestand": "VARCHAR",
        "_regelnummer": "BIGINT",
        "_bestand_sha256": "VARCHAR",
    }


BAD_CSV = [
    pytest.param(
        csv_text(PERSONEN, KBI_PERSONEN, delimiter=","),
        r"personen\.csv: line 1: fields are separated by ','",
        id="wrong-delimiter",
    ),
    pytest.param(
        csv_text(PERSONEN[:-1], [r[:-1] for r in KBI_PERSONEN]),
        r"line 1: .*missing column\(s\) verblijfsstatus",
        id="missing-column",
    ),
    pytest.param(
        csv_text((*PERSONEN, "opmerking"), [(*r, "x") for r in KBI_PERSONEN]),
        r"line 1: .*unexpected column\(s\) opmerking",
        id="extra-column",
    ),
    pytest.param(
        csv_text(PERSONEN, [*KBI_PERSONEN[:2], (*KBI_PERSONEN[2], "extra"), *KBI_PERSONEN[3:]]),
        r"personen\.csv: line 4: has 21 fields, expected 20",
        id="extra-field",
    ),
    pytest.param(
        csv_text(PERSONEN, [*KBI_PERSONEN[:4], KBI_PERSONEN[4][:-2]]),
        r"personen\.csv: line 6: has 18 fields, expected 20",
        id="missing-field",
    ),
    pytest.param(
        csv_text(PERSONEN, KBI_PERSONEN[:3]).replace("hoog;Turkije", 'hoog;"Turkije'),
        r"personen\.csv: line 4: a quoted value is never closed",
        id="unclosed-quote",
    ),
    pytest.param(
        "\ufeff".encode()
        + csv_text(PERSONEN, KBI_PERSONEN).replace("Syrië", "Syri\x00").encode().replace(b"Syri\x00", b"Syri\xeb"),
        r"personen\.csv: line 3: not valid UTF-8",
        id="latin-1",
    ),
    pytest.param(
        csv_text(PERSONEN, KBI_PERSONEN).encode("utf-16"),
        r"personen\.csv: line 1: the file is UTF-16 encoded",
        id="utf-16",
    ),
    pytest.param(b"", r"personen\.csv: the file is empty", id="empty"),
    pytest.param(b"\xef\xbb\xbf", r"personen\.csv: the file is empty", id="bom-only"),
    pytest.param(b"\xef\xbb\xbf\r\n", r"personen\.csv: the file is empty", id="bom-and-line-break"),
    pytest.param(
        csv_text(PERSONEN, KBI_PERSONEN[:3]).replace("hoog;Turkije", "hoog;Tur\x00kije"),
        r"personen\.csv: line 4: holds a NUL byte",
        id="nul-in-a-field",
    ),
]


@pytest.mark.parametrize(("content", "message"), BAD_CSV)
def test_malformed_csv_fails_naming_file_line_and_reason(
    loaded: Path, kbi: Path, content: str | bytes, message: str
) -> None:
    before = snapshot(loaded)
    write_personen(kbi, content)
    with pytest.raises(InputError, match=message):
        load_extract("kbi", kbi, loaded)
    assert snapshot(loaded) == before


def test_failure_in_a_later_file_rolls_back_the_earlier_one(loaded: Path, kbi: Path) -> None:
    before = snapshot(loaded)
    write_personen(kbi, csv_text(PERSONEN, KBI_PERSONEN[:2]))  # valid, would replace 6 rows by 2
    (kbi / "insz_vervangingen.csv").write_bytes(b"\xef\xbb\xbfoud_insz;nieuw_insz;datum_vervanging\r\n1;2;3\r\n1;2\r\n")
    with pytest.raises(InputError, match=r"insz_vervangingen\.csv: line 3: has 2 fields, expected 3"):
        load_extract("kbi", kbi, loaded)
    assert snapshot(loaded) == before


def test_error_does_not_echo_the_offending_line(loaded: Path, kbi: Path) -> None:
    write_personen(kbi, csv_text(PERSONEN, [(*KBI_PERSONEN[0], "extra")]))
    with pytest.raises(InputError) as caught:
        load_extract("kbi", kbi, loaded)
    assert KBI_PERSONEN[0][0] not in str(caught.value)


def test_missing_and_unexpected_files_are_refused(loaded: Path, kbi: Path) -> None:
    before = snapshot(loaded)
    (kbi / "insz_vervangingen.csv").rename(kbi / "insz_vervanging.csv")
    with pytest.raises(InputError, match=r"missing insz_vervangingen\.csv"):
        load_extract("kbi", kbi, loaded)
    (kbi / "insz_vervangingen.csv").write_text("x")
    with pytest.raises(InputError, match=r"unexpected file insz_vervanging\.csv"):
        load_extract("kbi", kbi, loaded)
    assert snapshot(loaded) == before


@pytest.mark.parametrize(
    ("columns", "message"),
    [
        ({"klant_id": "INTEGER", "insz": "VARCHAR"}, r"column klant_id is INTEGER, expected BIGINT"),
        ({"klant_id": "BIGINT"}, r"missing column insz VARCHAR"),
        ({"klant_id": "BIGINT", "insz": "VARCHAR", "naam": "VARCHAR"}, r"unexpected column naam"),
    ],
)
def test_parquet_with_wrong_columns_is_refused(tmp_path: Path, columns: dict[str, str], message: str) -> None:
    folder = write_vdab(tmp_path / "vdab")
    database = tmp_path / "vdab.duckdb"
    load_extract("vdab", folder, database)
    before = snapshot(database)
    write_parquet(folder / "personen.parquet", columns, [tuple(1 if "id" in c else "x" for c in columns)])
    with pytest.raises(InputError, match=rf"personen\.parquet: {message}.*the file must have exactly"):
        load_extract("vdab", folder, database)
    assert snapshot(database) == before


def test_file_that_is_not_parquet_is_refused(tmp_path: Path) -> None:
    folder = write_vdab(tmp_path / "vdab")
    (folder / "acties.parquet").write_text("actie_id;klant_id\n1;2\n")
    with pytest.raises(InputError, match=r"acties\.parquet: not a readable Parquet file"):
        load_extract("vdab", folder, tmp_path / "vdab.duckdb")


def test_exchange_csv_loads_into_the_given_table(tmp_path: Path) -> None:
    path = tmp_path / "aanvraag.csv"
    path.write_text("insz\n85073003328\n90021512469\n", encoding="utf-8")
    database = tmp_path / "vdab.duckdb"
    table = load_exchange_csv(path, database, "uitwisseling.aanvraag")
    assert (table.table, table.rijen) == ("uitwisseling.aanvraag", 2)
    assert rows(database, "select insz, _bronbestand, _regelnummer from uitwisseling.aanvraag order by 3") == [
        ("85073003328", "aanvraag.csv", 2),
        ("90021512469", "aanvraag.csv", 3),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("insz,naam\n85073003328,x\n", r"line 1: .*unexpected column\(s\) naam"),
        ("insz\n85073003328\n90021512469,x\n", r"line 3: has 2 fields, expected 1"),
    ],
)
def test_malformed_exchange_csv_is_refused(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "aanvraag.csv"
    path.write_text("insz\n85073003328\n", encoding="utf-8")
    database = tmp_path / "vdab.duckdb"
    load_exchange_csv(path, database, "uitwisseling.aanvraag")
    before = snapshot(database)
    path.write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=rf"aanvraag\.csv: {message}"):
        load_exchange_csv(path, database, "uitwisseling.aanvraag")
    assert snapshot(database) == before


@pytest.fixture
def opened_request(tmp_path: Path) -> tuple[Path, Manifest]:
    """A request sealed by the agencies' real keys for VDAB's, opened by VDAB: the plaintext and its signed manifest."""
    agencies = keys.generate("agentschap", tmp_path / "keys" / "agentschap", inside_git_work_tree=True).folder
    vdab = keys.generate("vdab", tmp_path / "keys" / "vdab", inside_git_work_tree=True).folder
    plaintext = tmp_path / "uit" / "2026-S1.aanvraag.csv"
    plaintext.parent.mkdir()
    plaintext.write_text("insz\n85073003328\n93051822361\n")
    sealed = envelope.seal(
        plaintext,
        to=vdab / keys.BUNDLE_FILE,
        sign_with=agencies / keys.SIGNING_KEY_FILE,
        wave="2026-S1",
        kind="aanvraag",
    )
    opened = envelope.open_envelope(
        sealed.ciphertext,
        sender_bundle=agencies / keys.BUNDLE_FILE,
        identity=vdab / keys.AGE_IDENTITY_FILE,
        wave="2026-S1",
        kind="aanvraag",
        out_dir=tmp_path / "in",
    )
    return opened.plaintext, opened.manifest


def test_an_opened_file_loads_only_as_its_sender_signed_it(
    tmp_path: Path, opened_request: tuple[Path, Manifest]
) -> None:
    """Issue 21: VDAB loaded a 4,950-row request whose hash differed from the signed 4,949-row one, and every check
    passed. A line added, or one digit changed (same row count), after the envelope was opened is refused (exit 4)
    before anything is written; the file as signed loads."""
    plaintext, manifest = opened_request
    signed = plaintext.read_bytes()
    database = tmp_path / "vdab.duckdb"
    for changed in (signed + signed.splitlines(keepends=True)[1], signed.replace(b"85073003328", b"85073003329")):
        plaintext.write_bytes(changed)
        with pytest.raises(ContentMismatchError) as refused:
            load_exchange_csv(plaintext, database, "uitwisseling.aanvraag", signed=manifest)
        assert refused.value.exit_code == 4 and str(refused.value).count("\n") == 0
        assert f"but agentschap signed sha-256 {manifest.plaintext_sha256[:12]}… and 2 rows" in str(refused.value)
        assert "nothing was loaded" in str(refused.value) and "85073003328" not in str(refused.value)
        assert not database.exists()
    plaintext.write_bytes(signed)
    assert load_exchange_csv(plaintext, database, "uitwisseling.aanvraag", signed=manifest).rijen == 2
