"""Publish the monitoring marts as the BI working group's DuckDB file (protocol art. 4: werkgroep BI rapportering).

The BI file holds only the marts, as plain tables: no views, macros or attached files, so nothing in it can point at
the pseudonymised dataset or at a path on our machine. It is written in DuckDB's v1.0.0 storage format because BI
drivers ship DuckDB 1.x, which cannot open files in the 2.x default format. It is written next to the target and
renamed over it: a BI tool that holds the old file open keeps reading the old, complete file (the rename swaps the
directory entry, not the open inode), and nobody ever sees a half-written file.

The file explains itself: beside the marts it holds the reference tables of ``models/marts/referentie/`` (code lists
with Dutch labels, the waves with their reference dates, the contract cohorts) and a ``lees_mij`` table written here,
and every table and column carries its Dutch description as a one-line comment (BI tools show line breaks badly).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pijler3 import leakscan
from pijler3.audit import AuditLog
from pijler3.config import PartyConfig
from pijler3.digest import digest_file
from pijler3.errors import ConfigError, InputError, Pijler3Error

# Oldest storage format the 1.x readers of BI tools understand (DuckDB 1.0 and later read it).
STORAGE_VERSION = "v1.0.0"
MARTS_FOLDER = "marts"
LEES_MIJ = "lees_mij"
# What a BI user needs before the first query, in the order a reader meets it; the tables follow, one row each.
LEES_MIJ_INLEIDING = (
    (
        "inhoud",
        "Monitoring van de derde pijler van inburgering (protocol Agentschap Integratie en Inburgering en VDAB van "
        "14 februari 2023): enkel geaggregeerde cijfers per golf, geen gegevens over personen. Elke tabel hieronder "
        "staat in dit bestand, met een Nederlandse omschrijving bij elke tabel en kolom.",
    ),
    (
        "verstoring",
        "Alle aantallen zijn met opzet licht verstoord (celsleutelmethode, zoals ONS, ABS en Destatis hun "
        "censustabellen publiceren): elke telling wijkt hoogstens 5 af, meestal 0 tot 2; dezelfde groep personen "
        "heeft overal en in elke golf hetzelfde cijfer. Probeer de verstoring niet terug te rekenen.",
    ),
    (
        "delen en totaal",
        "De echte delen tellen op tot het echte totaal, de gepubliceerde niet: de som van k gepubliceerde delen ligt "
        "hoogstens 5 keer (k + 1) boven het gepubliceerde totaal en kan eronder liggen met wat de niet-gepubliceerde "
        "delen bevatten. Een deel is nooit groter dan zijn geheel (het wordt erop afgetopt). Percentages zijn "
        "berekend uit de gepubliceerde aantallen en staan enkel bij een gepubliceerde noemer van minstens 20; de "
        "aandelen van een uitsplitsing tellen nooit op tot meer dan 100 %. Een mediaan staat enkel bij minstens 20 "
        "gepubliceerde personen, afgerond op hele dagen.",
    ),
    (
        "onderdrukt",
        "Een telling die onder de drempel (standaard 5) uitkwam is leeg, met <kolom>_onderdrukt = true: het echte "
        "aantal is 0 tot 5. Elk echt aantal van 6 of meer wordt gepubliceerd. Elke waarde heeft een rij zodra één "
        "nieuwkomer van de golf ze heeft (oudste nationaliteit: elke code van de codelijst), dus ook een lege rij kan "
        "0 zijn.",
    ),
    (
        "5 of 6",
        "Een gepubliceerde 5 of 6 betekent: weinig. Het echte aantal ligt tussen 1 en 11, en omdat kleine groepen "
        "vaak voorkomen is het meestal 1 tot 4 (een echte 1 tot 4 wordt ofwel niet gepubliceerd, ofwel als 5 of 6). "
        "Lees een 5 of 6 dus niet als een exact aantal.",
    ),
    (
        "onbekend",
        "De waarde onbekend betekent: leeg in de bron, een label of code die niet in de afgesproken codelijst "
        "staat (in het KBI-extract of in het verrijkte bestand van VDAB, beide art. 7; geteld als aantal_ongeldig in "
        "mart_datakwaliteit), of geen waarde die op de peildatum geldt. Wat een partij zelf in een categoriekolom "
        "schreef, staat nooit in dit bestand. Bij status_dienstverlening is dat meestal een "
        "ingeschreven nieuwkomer wiens inschrijving bij VDAB vóór de peildatum afgesloten was (bv. werk "
        "gevonden): VDAB kent dan geen status op de peildatum. mart_datakwaliteit telt zo een lege status als"
        " aantal_leeg: een lege waarde in het verrijkte bestand, niet noodzakelijk een fout.",
    ),
    (
        "codes",
        "Koppel dimensie en waarde (of kenmerk en kenmerk_waarde, of toestand_vorige en toestand_huidig met kenmerk "
        "toestand) aan kenmerk en code van de tabel codelijsten voor de betekenis; de peildatum van elke golf staat in "
        "golven, de contractperiode van elk cohort in cohorten.",
    ),
    (
        "documentatie",
        "De datadictionary (docs/index.html, een webpagina die met dit bestand verspreid wordt en offline opent) "
        "beschrijft elke kolom, de herkomst en de methode. Het monitoringsrapport (monitoringsrapport.html naast dit "
        "bestand) toont de kerncijfers in grafieken; wie dit bestand heeft, maakt het opnieuw met "
        "`pijler3 rapport --bi <dit bestand>`.",
    ),
    (
        "begrippen",
        "De tabel kenmerken geeft de Nederlandse naam en betekenis van elke dimensie, elk kenmerk en elk veld: de KBI "
        "(Kruispuntbank Inburgering, het cliëntsysteem van het Agentschap, Atlas en IN-Gent), PLO (professionele "
        "loopbaanoriëntatie), begeleiding (de status dienstverlening bij VDAB) en de vier actietypes van VDAB "
        "(oriëntatie, context, competentieversterking, solliciteren).",
    ),
    (
        "totalen",
        "De marts staan in lange vorm: per golf één rij met dimensie totaal (alle personen) en per dimensie (cohort, "
        "elk profielkenmerk, elk actietype) een uitsplitsing die apart optelt tot dat totaal. Tel nooit over "
        "dimensies heen: filter eerst op één dimensie, in mart_dienstverlening_vdab ook op één kenmerk zonder "
        "kenmerk_waarde totaal, in mart_overgangen zonder toestand_huidig totaal. Een draaitabel over alle rijen telt "
        "dezelfde personen anders een vijftiental keer.",
    ),
    (
        "percentages",
        "Een percentage of aandeel staat in procent (0 tot 100, één decimaal); de omschrijving van elke kolom noemt "
        "de teller en de noemer. Het is berekend uit de gepubliceerde (verstoorde) aantallen van dezelfde rij.",
    ),
    (
        "vergelijken",
        "Elke golf rekent alle cohorten opnieuw uit met wat op haar peildatum bekend is. Het cijfer van een oud "
        "cohort kan daarom tussen golven verschuiven, ook in de echte aantallen: wie zich na de vorige peildatum "
        "alsnog inschreef, telt nu als ingeschreven (niet als binnen 60 dagen); een nieuwkomer met een bisnummer "
        "krijgt een rijksregisternummer waaronder VDAB hem pas dan terugvindt, met een inschrijving van vroeger; en "
        "beide partijen verbeteren fouten in hun gegevens (art. 7). Met een andere groep personen "
        "verandert ook de verstoring. Vergelijk cohorten binnen dezelfde golf; voor de evolutie van een cohort geldt "
        "de laatste golf.",
    ),
)
LEES_MIJ_OMSCHRIJVING = (
    "Lees eerst dit: wat elke tabel beantwoordt, hoe de cijfers verstoord zijn en waar de documentatie staat. "
    "Eén rij per onderwerp, in leesvolgorde."
)
# Both leave a plain table in the monitoring database (an incremental mart keeps earlier waves).
TABLE_MATERIALIZATIONS = {"table", "incremental"}


@dataclass(frozen=True)
class Mart:
    """A mart as dbt built it: where it lives in the monitoring database and how it is described."""

    name: str
    schema: str
    description: str
    columns: Mapping[str, str]


def marts_from_manifest(manifest_path: Path) -> list[Mart]:
    """Every model under ``models/marts/`` in dbt's manifest that dbt materialises as a table, sorted by name."""
    try:
        manifest: dict[str, Any] = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise InputError(f"{manifest_path}: cannot read dbt's manifest ({exc}); run `dbt build` first") from exc
    marts = [
        Mart(
            name=node["alias"],
            schema=node["schema"],
            description=node.get("description", ""),
            columns={name: col.get("description", "") for name, col in node.get("columns", {}).items()},
        )
        for node in manifest.get("nodes", {}).values()
        if node.get("resource_type") == "model"
        and len(node.get("fqn", [])) > 1
        and node["fqn"][1] == MARTS_FOLDER
        and node.get("config", {}).get("materialized") in TABLE_MATERIALIZATIONS
    ]
    if not marts:
        raise InputError(f"{manifest_path}: the manifest names no table models under models/{MARTS_FOLDER}/")
    return sorted(marts, key=lambda m: m.name)


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def publish(monitoring_db: Path, target: Path, marts: list[Mart]) -> Path:
    """Copy ``marts`` from ``monitoring_db`` into a new BI file and atomically replace ``target`` with it."""
    if not monitoring_db.is_file():
        raise InputError(f"{monitoring_db}: monitoring database not found; run the marts (dbt build) first")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.{os.getpid()}.part")
    partial.unlink(missing_ok=True)
    try:
        con = duckdb.connect()
        try:
            con.execute(f"attach {_literal(str(monitoring_db))} as bron (read_only)")
            con.execute(f"attach {_literal(str(partial))} as bi (storage_version {_literal(STORAGE_VERSION)})")
            for mart in marts:
                _copy(con, mart)
            _write_readme(con, marts)
            _check_only_tables(con, {m.name for m in marts} | {LEES_MIJ})
            con.execute("detach bi")
        finally:
            con.close()
        # Nothing leaves the restricted layer unchecked, whatever an extract or the other party's file held.
        leakscan.check_publication(partial, target)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        # Aggregated and suppressed, meant for the BI working group's tools: readable by everyone, whatever the umask.
        partial.chmod(0o644)
        os.replace(partial, target)
        # The rename itself must survive a crash, or a reboot could bring back the previous file.
        directory = os.open(target.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except duckdb.Error as exc:
        raise Pijler3Error(f"publishing {target} from {monitoring_db} failed: {exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
        partial.with_name(partial.name + ".wal").unlink(missing_ok=True)
    return target


def publish_recorded(
    config: PartyConfig, manifest: Path, *, monitoring_db: Path | None = None, target: Path | None = None
) -> tuple[Path, list[Mart]]:
    """``publish`` by hand (``pijler3 publiceer-bi``), recorded in the party's audit log as ``publish-bi`` (or
    ``publish-bi-failed``); the databases default to the configuration's. ``pijler3 rapport`` then makes the report."""
    if config.party != "agentschap":
        raise ConfigError(
            f"{config.path} is the configuration of {config.party}; publiceer-bi is an agencies' command (art. 4:"
            " the agencies publish the marts for the BI working group): run it with the agencies' configuration"
        )
    monitoring_db = monitoring_db or config.require("databases.monitoring", config.monitoring_db)
    target = target or config.require("bi.file", config.bi_file)
    audit = AuditLog(config.audit_log, config.party)
    try:
        marts = marts_from_manifest(manifest)
        publish(monitoring_db, target, marts)
    except Pijler3Error as exc:
        audit.record("publish-bi-failed", file=target.name, error=type(exc).__name__)
        raise
    audit.record("publish-bi", file=target.name, marts=len(marts), sha256=digest_file(target, count_lines=False).sha256)
    return target, marts


def _copy(con: duckdb.DuckDBPyConnection, mart: Mart) -> None:
    bron = f"bron.{_identifier(mart.schema)}.{_identifier(mart.name)}"
    found = con.execute(
        "select count(*) from duckdb_tables() where database_name = 'bron' and schema_name = ? and table_name = ?",
        [mart.schema, mart.name],
    ).fetchone()
    if not found or found[0] != 1:
        raise InputError(
            f"mart {mart.schema}.{mart.name} is in dbt's manifest but not a table in the monitoring database; "
            "run `dbt build` for the marts before publishing"
        )
    doel = f"bi.main.{_identifier(mart.name)}"
    con.execute(f"create table {doel} as select * from {bron}")
    # Descriptions travel with the data, so a BI user sees the Dutch column meaning next to each field.
    if mart.description:
        con.execute(f"comment on table {doel} is {_literal(one_line(mart.description))}")
    for column, description in mart.columns.items():
        if description:
            con.execute(f"comment on column {doel}.{_identifier(column)} is {_literal(one_line(description))}")


def one_line(text: str) -> str:
    """``text`` as a BI tool shows it well: every run of whitespace (line breaks of YAML and doc blocks included) as
    one space, and without the Markdown code marks (`) the data dictionary renders but a BI tool prints raw."""
    return " ".join(text.replace("`", "").split())


def readme_rows(marts: list[Mart]) -> list[tuple[int, str, str]]:
    """The rows of ``lees_mij``: the introduction, then what each table answers (its description)."""
    # the marts first (what the working group reads), then the reference tables that explain their codes
    tables = sorted(marts, key=lambda m: (not m.name.startswith("mart_"), m.name))
    rows = [*LEES_MIJ_INLEIDING, *((m.name, one_line(m.description)) for m in tables)]
    return [(number, subject, text) for number, (subject, text) in enumerate(rows, start=1)]


def _write_readme(con: duckdb.DuckDBPyConnection, marts: list[Mart]) -> None:
    doel = f"bi.main.{LEES_MIJ}"
    con.execute(f"create table {doel} (volgorde integer, onderwerp varchar, uitleg varchar)")
    con.executemany(f"insert into {doel} values (?, ?, ?)", readme_rows(marts))
    con.execute(f"comment on table {doel} is {_literal(LEES_MIJ_OMSCHRIJVING)}")
    for column, text in (
        ("volgorde", "Leesvolgorde."),
        ("onderwerp", "Het onderwerp, of de naam van een tabel in dit bestand."),
        ("uitleg", "De uitleg in het Nederlands."),
    ):
        con.execute(f"comment on column {doel}.{column} is {_literal(text)}")


def _check_only_tables(con: duckdb.DuckDBPyConnection, expected: set[str]) -> None:
    tables = {r[0] for r in con.execute("select table_name from duckdb_tables() where database_name = 'bi'").fetchall()}
    others = con.execute(
        "select 'view ' || view_name from duckdb_views() where database_name = 'bi' and not internal "
        "union all select 'macro ' || function_name from duckdb_functions() where database_name = 'bi' "
        "and not internal union all select 'sequence ' || sequence_name from duckdb_sequences() "
        "where database_name = 'bi'"
    ).fetchall()
    if tables != expected or others:
        raise Pijler3Error(
            f"BI file would hold {sorted(tables)} plus {[r[0] for r in others]}, expected exactly the marts "
            f"{sorted(expected)}; nothing was published"
        )
