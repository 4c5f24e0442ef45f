"""Two waves of the agencies' side on a small synthetic population, end to end through the real loader and dbt.

Each wave loads the KBI extract and the opened enrichment file into a fresh restricted database, builds everything up
to the wave history with the pseudonym plugin, exports the wave, and deletes the restricted database, as a run does.
Then: no INSZ of the population (normalised or formatted, bis or register number) is in any column of any table of
monitoring.duckdb or in the exported files; the secret is in no file dbt wrote; pseudonyms are the HMAC of the
number current on the reference date; a wave does not disturb the previous one; and the history joins a person whose
bis number was replaced between the waves.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import hashlib
import hmac
import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from pijler3 import insz
from pijler3.dbt_runner import DbtPlugin, run_dbt
from pijler3.gepseudonimiseerd import exporteer_dataset
from pijler3.loading import KBI_CSV_COLUMNS, load_exchange_csv, load_extract
from pijler3.synth import generate

REPO = Path(__file__).resolve().parent.parent
WAVES = (("2026-S1", "2026-06-30"), ("2026-S2", "2026-12-31"))
ACTIETYPEN = ("orientatie", "context", "competentieversterking", "solliciteren")
VERRIJKING_COLUMNS = (
    "insz",
    "gekend_bij_vdab",
    "eerste_inschrijving",
    "meest_recente_inschrijving",
    "huidige_categorie_werkzoekende",
    "huidige_categorie_werkzoekende_omschrijving",
    "status_dienstverlening",
    *(f"{prefix}_{a}" for a in ACTIETYPEN for prefix in ("heeft_actie", "aantal_acties", "eerste_start_actie")),
    "uitstroom_naar_werk",
    "uitstroom_naar_werk_binnen_6_maanden",
    "uitstroom_naar_werk_binnen_12_maanden",
)
MONITORING_TABLES = {
    "gepseudonimiseerde_dataset",
    "pseudoniem_vervangingen",
    "golf_historiek",
    "recordsleutels",
    # the secret step of the cell key method (built with the pseudonym key, read by the marts)
    "ptabel_geheim",
    # the data-quality facts (counted from restricted staging) and the code lists: the marts build from these alone
    "datakwaliteit_feiten",
    *("kbi_codes", "kbi_labels", "vdab_codes", "vdab_labels", "ptable", "kenmerk_namen"),
}

pytestmark = pytest.mark.slow


def make_insz(rng: random.Random, *, bis: bool = False) -> str:
    year, month, day = rng.randint(1960, 2004), rng.randint(1, 12), rng.randint(1, 28)
    body = f"{year % 100:02d}{month + (40 if bis else 0):02d}{day:02d}{rng.randint(1, 997):03d}"
    n = int(body) if year < 2000 else int("2" + body)
    number = body + f"{97 - n % 97:02d}"
    assert insz.is_valid(number)
    return number


@dataclass
class Population:
    register: list[str]
    bis: dict[int, str]
    outsider: str
    kbi_rows: list[dict[str, str]] = field(default_factory=list)
    replacements: list[tuple[str, str, str]] = field(default_factory=list)

    def every_form(self) -> set[str]:
        numbers = [*self.register, *self.bis.values(), self.outsider]
        return {form for n in numbers for form in (n, insz.formatteer(n))}


def kbi_labels() -> dict[str, list[str]]:
    labels: dict[str, list[str]] = {}
    with (REPO / "seeds" / "kbi_labels.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            labels.setdefault(row["kenmerk"], []).append(row["label"])
    return labels


def make_population(rng: random.Random, size: int = 24) -> Population:
    register: list[str] = []
    while len(register) < size:
        number = make_insz(rng)
        if number not in register:
            register.append(number)
    # 0-1: bis number replaced before wave 1; 2-3: replaced between the waves (dated after wave 1's reference date)
    pop = Population(register, {i: make_insz(rng, bis=True) for i in range(4)}, make_insz(rng))
    pop.replacements = [(pop.bis[i], register[i], "01/03/2026" if i < 2 else "01/09/2026") for i in range(4)]
    labels = kbi_labels()
    for i, number in enumerate(register):
        row = {column: "" for column in KBI_CSV_COLUMNS["personen"]}
        for kenmerk, options in labels.items():
            if kenmerk in row:
                row[kenmerk] = rng.choice(options)
        for kenmerk in ("toeleiding_diplomagelijkschakeling", "heeft_ocmw_leefloon"):
            row[kenmerk] = rng.choice(["ja", "nee"])
        shown = pop.bis.get(i, number)
        row["insz"] = insz.formatteer(shown) if i % 3 == 0 else shown
        row["datum_aanmelding"] = "10/01/2025"
        row["datum_inburgeringscontract"] = "15/09/2026" if i == 5 else "01/02/2025"  # person 5 joins in wave 2
        row["datum_toeleiding_vdab"] = "01/08/2026" if i == 6 else "01/03/2025"  # after wave 1's reference date
        pop.kbi_rows.append(row)
    pop.kbi_rows.append(dict(pop.kbi_rows[7]))  # a duplicate row of person 7
    return pop


def write_kbi(pop: Population, folder: Path) -> None:
    folder.mkdir(parents=True)
    for stem, rows in (
        ("personen", [[r[c] for c in KBI_CSV_COLUMNS["personen"]] for r in pop.kbi_rows]),
        ("insz_vervangingen", [list(r) for r in pop.replacements]),
    ):
        with (folder / f"{stem}.csv").open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle, delimiter=";", lineterminator="\r\n")
            writer.writerow(KBI_CSV_COLUMNS[stem])
            writer.writerows(rows)


def write_verrijking(pop: Population, wave: int, path: Path) -> None:
    """VDAB's answer to the request of wave ``wave``: one row per number asked, plus one number the KBI lacks.

    Asked is the number current on the reference date (bis numbers 2-3 in wave 1), except person 0, asked in wave 1
    under its replaced bis number; person 8 is missing from the answer, person 5 is not asked before wave 2 and person
    10 leaves "bemiddeling" in wave 2.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(VERRIJKING_COLUMNS)
        for i, number in [*enumerate(pop.register), (len(pop.register), pop.outsider)]:
            if i == 8 or (i == 5 and wave == 0):
                continue
            asked = pop.bis[i] if wave == 0 and i in (0, 2, 3) else number
            gekend = i % 4 != 3
            if gekend:
                status = "opleiding" if wave == 1 and i == 10 else "bemiddeling"
                vdab = ["true", "2025-04-01", "2025-04-01", "00", "uitkeringsaanvraag", status]
                acties = ["true", "2", "2025-05-01"] * len(ACTIETYPEN)
            else:
                vdab = ["false", "", "", "", "", ""]
                acties = ["false", "0", ""] * len(ACTIETYPEN)
            writer.writerow([asked, *vdab, *acties, "", "", ""])


@dataclass
class Built:
    pop: Population
    key: bytes
    monitoring: Path
    work: Path
    exports: list[Path]
    reports: list[tuple[object, ...]]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Built]:
    root = tmp_path_factory.mktemp("agentschap")
    pop = make_population(random.Random(20260630))
    write_kbi(pop, root / "kbi")
    key = secrets.token_bytes(32)
    key_file = root / "keys" / "pseudonym.key"
    key_file.parent.mkdir()
    key_file.write_text(key.hex() + "\n", encoding="ascii")
    key_file.chmod(0o600)
    monitoring, restricted, work = root / "monitoring.duckdb", root / "restricted.duckdb", root / "dbt"
    plugin = DbtPlugin("pijler3.dbt_plugin", "pseudonym", {"key_file": str(key_file)})
    exports, reports = [], []
    for wave, (golf, peildatum) in enumerate(WAVES):
        load_extract("kbi", root / "kbi", restricted)
        write_verrijking(pop, wave, root / f"verrijking_{golf}.csv")
        load_exchange_csv(
            root / f"verrijking_{golf}.csv", restricted, "uitwisseling.verrijking", columns=VERRIJKING_COLUMNS
        )
        run_dbt(
            [
                "build",
                "--selector",
                "agentschap_pseudonimisering",
                "--vars",
                f"{{golf: '{golf}', peildatum: '{peildatum}'}}",
            ],
            target="agentschap",
            env={"PIJLER3_RESTRICTED_DB": str(restricted), "PIJLER3_MONITORING_DB": str(monitoring)},
            work_dir=work,
            plugins=[plugin],
        )
        with duckdb.connect(str(restricted), read_only=True) as con:
            reports += con.sql("select * from int_verrijking_koppeling_gemeten").fetchall()
        exports.append(root / "export" / f"gepseudonimiseerd_{golf}.parquet")
        exporteer_dataset(monitoring, golf, exports[-1])
        restricted.unlink()  # what the run does once it succeeded: nothing with an INSZ outlives it
    yield Built(pop, key, monitoring, work, exports, reports)


def pseudonym(key: bytes, number: str) -> str:
    return hmac.new(key, number.encode(), hashlib.sha256).hexdigest()


def test_no_insz_of_the_population_anywhere_in_monitoring_or_the_exports(built: Built) -> None:
    forms = built.pop.every_form()
    assert len(forms) >= 2 * 29
    with duckdb.connect(str(built.monitoring), read_only=True) as con:
        tables = {t for (t,) in con.sql("select table_name from information_schema.tables").fetchall()}
        assert tables == MONITORING_TABLES
        columns = con.sql("select table_schema, table_name, column_name from information_schema.columns").fetchall()
        scanned = 0
        for schema, table, column in columns:
            values = con.sql(f'select distinct cast("{column}" as varchar) from "{schema}"."{table}"').fetchall()
            text = "\n".join(str(v) for (v,) in values)
            scanned += len(values)
            leaked = sorted(f for f in forms if f in text)
            assert not leaked, f"{table}.{column} holds INSZ {leaked[:3]}"
    assert scanned > 100
    for export in built.exports:
        rows = duckdb.sql(f"select * from read_parquet('{export}')").fetchall()
        text = "\n".join("|".join(map(str, row)) for row in rows)
        assert rows and not [f for f in forms if f in text]


def test_the_secret_is_in_no_file_dbt_wrote(built: Built) -> None:
    forms = [built.key.hex(), built.key.hex().upper(), base64.b64encode(built.key).decode()]
    files = [p for p in built.work.rglob("*") if p.is_file() and p.name != "pseudonym.key"]
    assert any(p.name == "manifest.json" for p in files)
    for path in files:
        data = path.read_bytes()
        assert built.key not in data and not any(f.encode() in data for f in forms), path


def test_pseudonyms_are_the_hmac_of_the_number_current_on_the_reference_date(built: Built) -> None:
    pop, key = built.pop, built.key
    with duckdb.connect(str(built.monitoring), read_only=True) as con:
        got = {(p, g) for p, g in con.sql("select pseudoniem, golf from gepseudonimiseerde_dataset").fetchall()}
    expected: set[tuple[str, str]] = set()
    for wave, (golf, _) in enumerate(WAVES):
        for i, number in enumerate(pop.register):
            if i == 5 and wave == 0:
                continue  # contract after wave 1's reference date
            current = pop.bis[i] if i in (2, 3) and wave == 0 else number
            expected.add((pseudonym(key, current), golf))
    assert got == expected


def test_profile_as_of_the_reference_date_and_enrichment_attached(built: Built) -> None:
    pop, key = built.pop, built.key
    with duckdb.connect(str(built.monitoring), read_only=True) as con:
        rows = con.execute(
            "select golf, datum_toeleiding_vdab, in_verrijking, gekend_bij_vdab from gepseudonimiseerde_dataset "
            "where pseudoniem = ? order by golf",
            [pseudonym(key, pop.register[6])],
        ).fetchall()
        assert rows == [
            ("2026-S1", None, True, True),
            ("2026-S2", dt.date(2026, 8, 1), True, True),
        ]
        missing = con.execute(
            "select in_verrijking, gekend_bij_vdab, status_dienstverlening from gepseudonimiseerde_dataset "
            "where pseudoniem = ?",
            [pseudonym(key, pop.register[8])],
        ).fetchall()
        assert missing == [(False, None, None), (False, None, None)]


def test_mismatches_are_counted_per_wave(built: Built) -> None:
    by_wave = {row[0]: row[1:] for row in built.reports}
    # (kbi persons, file rows, invalid numbers, persons with several rows, kbi without enrichment, enrichment w/o kbi)
    assert by_wave["2026-S1"] == (23, 23, 0, 0, 1, 1)
    assert by_wave["2026-S2"] == (24, 24, 0, 0, 1, 1)


def test_history_keeps_wave_one_and_joins_a_replacement_between_waves(built: Built) -> None:
    pop, key = built.pop, built.key
    with duckdb.connect(str(built.monitoring), read_only=True) as con:
        per_wave = dict(con.sql("select golf, count(*) from gepseudonimiseerde_dataset group by golf").fetchall())
        assert per_wave == {"2026-S1": 23, "2026-S2": 24}
        history = con.execute(
            "select golf, vorige_golf, verandering_sinds_vorige_golf from golf_historiek where pseudoniem = ? "
            "order by golf",
            [pseudonym(key, pop.register[2])],
        ).fetchall()
        assert history == [("2026-S1", None, "nieuw"), ("2026-S2", "2026-S1", "ongewijzigd")]
        changed = con.execute(
            "select vorige_status_dienstverlening, status_dienstverlening, verandering_sinds_vorige_golf "
            "from golf_historiek where pseudoniem = ? and golf = '2026-S2'",
            [pseudonym(key, pop.register[10])],
        ).fetchall()
        assert changed == [("bemiddeling", "opleiding", "gewijzigd")]


def test_no_insz_of_the_synth_population_survives_a_build(tmp_path: Path) -> None:
    """The generator's own population (with its art. 7 defects) through one wave; VDAB's answer from its truth."""
    generate(tmp_path / "bron", 300, 11)
    truth = tmp_path / "bron" / "waarheid" / "personen.parquet"
    restricted, monitoring = tmp_path / "restricted.duckdb", tmp_path / "monitoring.duckdb"
    load_extract("kbi", tmp_path / "bron" / "kbi", restricted)
    duckdb.execute(
        f"copy (select insz, coalesce(in_vdab, false) as gekend_bij_vdab, datum_eerste_inschrijving as "
        f"eerste_inschrijving, datum_eerste_inschrijving as meest_recente_inschrijving, "
        f"{', '.join(f'null as {c}' for c in VERRIJKING_COLUMNS[4:-3])}, datum_uitstroom_werk as uitstroom_naar_werk, "
        f"null as uitstroom_naar_werk_binnen_6_maanden, null as uitstroom_naar_werk_binnen_12_maanden "
        f"from read_parquet('{truth}') where insz is not null) to '{tmp_path / 'verrijking.csv'}' (header)"
    ).fetchall()
    load_exchange_csv(tmp_path / "verrijking.csv", restricted, "uitwisseling.verrijking", columns=VERRIJKING_COLUMNS)
    key_file = tmp_path / "pseudonym.key"
    key_file.write_text(secrets.token_hex(32) + "\n", encoding="ascii")
    key_file.chmod(0o600)
    run_dbt(
        ["build", "--selector", "agentschap_pseudonimisering"],
        target="agentschap",
        env={"PIJLER3_RESTRICTED_DB": str(restricted), "PIJLER3_MONITORING_DB": str(monitoring)},
        work_dir=tmp_path / "dbt",
        plugins=[DbtPlugin("pijler3.dbt_plugin", "pseudonym", {"key_file": str(key_file)})],
    )
    restricted.unlink()
    numbers = {
        n
        for row in duckdb.sql(f"select insz, insz_oud, insz_in_kbi from read_parquet('{truth}')").fetchall()
        for n in row
        if n
    }
    forms = {form for n in numbers for form in (n, *((insz.formatteer(n),) if insz.is_valid(n) else ()))}
    assert len(numbers) >= 300
    with duckdb.connect(str(monitoring), read_only=True) as con:
        assert con.sql("select count(*) from gepseudonimiseerde_dataset").fetchall()[0][0] > 200
        columns = con.sql("select table_schema, table_name, column_name from information_schema.columns").fetchall()
        for schema, table, column in columns:
            values = con.sql(f'select distinct cast("{column}" as varchar) from "{schema}"."{table}"').fetchall()
            text = "\n".join(str(v) for (v,) in values)
            assert not [f for f in forms if f in text], f"{table}.{column} holds an INSZ of the synthetic population"
