"""VDAB's side of a wave after the enrichment is sealed: remove the request and everything linked to it.

The protocol lets VDAB link the requested INSZ numbers to its database to produce the enrichment (art. 3), not keep a
list of who the agencies asked about. Once the enriched file is sealed and uploaded, ``ruim_aanvraag_op`` drops the
loaded request (``uitwisseling.aanvraag``) and every relation dbt built from it, found in dbt's ``manifest.json`` as
the descendants of that source, so a model added later is covered without editing a list here. VDAB's own extract and
the staging views over it stay.

Then it verifies, and fails closed: no relation of the request's lineage may remain, and no other relation that is not
VDAB's own data (its extract, and the dbt models that do not depend on the request) may hold one of the requested
numbers in any text column. A copy someone made by hand or a dbt ``--store-failures`` table is found that way.
Finally the database file is rewritten (``pijler3.duckdb_file``): dropped tables would otherwise stay readable in its
free blocks, and with them who was asked about, including people VDAB does not know.
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from pijler3.duckdb_file import rewrite
from pijler3.errors import InputError, Pijler3Error

AANVRAAG_BRON = "source.pijler3.uitwisseling.aanvraag"
_RELATIE_TYPES = {"model", "seed", "snapshot"}
_TEKST_TYPES = {"VARCHAR", "TEXT", "STRING"}


@dataclass(frozen=True)
class Opruimrapport:
    """What the clean-up dropped and which remaining relations it checked for requested INSZ numbers."""

    verwijderd: tuple[str, ...]
    nagekeken: tuple[str, ...]
    aantal_aangevraagd: int


def ruim_aanvraag_op(database: Path, manifest: Path) -> Opruimrapport:
    """Drop the request and its linked relations from ``database``, then verify nothing linked to it remains.

    ``manifest`` is the ``target/manifest.json`` of the dbt project that built the wave. The request table is dropped
    last, only when the verification passed; otherwise ``Pijler3Error`` names each relation that still holds
    requested numbers and a second run, after those are removed, checks again. After a success a run finds nothing to
    drop.
    """
    database, manifest = Path(database), Path(manifest)
    if not database.is_file():
        raise InputError(f"{database}: VDAB working database not found")
    gekoppeld, eigen = _relaties_uit_manifest(manifest)
    with duckdb.connect(str(database)) as con:
        aanwezig = _relaties(con)
        aanvraag = ("uitwisseling", "aanvraag")
        # The requested numbers are kept only in a temporary table of this connection, for the verification below.
        con.execute("create temp table _aangevraagd (insz varchar primary key)")
        if aanvraag in aanwezig:
            con.execute(
                "insert into _aangevraagd select distinct trim(insz) from uitwisseling.aanvraag"
                " where insz is not null and trim(insz) != ''"
            )
        te_verwijderen = [r for r in gekoppeld if r in aanwezig]
        con.execute("begin transaction")
        for schema, naam in sorted(te_verwijderen, key=lambda r: aanwezig[r] != "VIEW"):
            soort = "view" if aanwezig[(schema, naam)] == "VIEW" else "table"
            con.execute(f'drop {soort} "{schema}"."{naam}"')
        con.execute("commit")
        rij = con.execute("select count(*) from _aangevraagd").fetchone()
        assert rij is not None
        aantal = int(rij[0])
        over = _relaties(con)
        problemen = [f"{s}.{n} is built from the request and still exists" for s, n in gekoppeld if (s, n) in over]
        nagekeken = sorted(r for r in over if r not in eigen and r != aanvraag)
        for schema, naam in nagekeken:
            for kolom, aantal_gevonden in _aangevraagde_nummers_in(con, schema, naam):
                problemen.append(
                    f"{schema}.{naam}.{kolom} holds {aantal_gevonden} requested INSZ number(s) and is not VDAB's own"
                    " data"
                )
        # The request itself goes last: while something linked to it remains, a second run must still know which
        # numbers to look for.
        if not problemen and aanvraag in over:
            con.execute("drop table uitwisseling.aanvraag")
            te_verwijderen.append(aanvraag)
        if not _relaties(con, schema="uitwisseling"):
            con.execute("drop schema if exists uitwisseling")
        # Write the drops to the database file now, not at some later checkpoint.
        con.execute("checkpoint")
    if problemen:
        raise Pijler3Error(
            f"{database}: INSZ-linked data remains: {'; '.join(problemen)}. Drop these relations (they are copies of"
            " the request or built from it) and run the clean-up again; the request itself is kept until then."
        )
    rewrite(database, after="removing the request")
    return Opruimrapport(
        verwijderd=tuple(f"{s}.{n}" for s, n in te_verwijderen),
        nagekeken=tuple(f"{s}.{n}" for s, n in nagekeken),
        aantal_aangevraagd=aantal,
    )


def _relaties_uit_manifest(manifest: Path) -> tuple[set[tuple[str, str]], set[tuple[str, str]]]:
    """(relations built from the request, relations of VDAB's own data) as (schema, name) pairs.

    VDAB's own data: every source but the request, and every model or seed that does not depend on the request.
    """
    try:
        inhoud: dict[str, Any] = json.loads(manifest.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{manifest}: dbt manifest not found; pass target/manifest.json of the run") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{manifest}: not a dbt manifest ({exc}); pass target/manifest.json") from None
    kinderen: dict[str, list[str]] = inhoud.get("child_map", {})
    if AANVRAAG_BRON not in kinderen:
        raise InputError(f"{manifest}: has no source uitwisseling.aanvraag; is it the manifest of the pijler3 project?")
    afstammelingen: set[str] = set()
    wachtrij = deque(kinderen[AANVRAAG_BRON])
    while wachtrij:
        knoop = wachtrij.popleft()
        if knoop not in afstammelingen:
            afstammelingen.add(knoop)
            wachtrij.extend(kinderen.get(knoop, []))
    gekoppeld: set[tuple[str, str]] = set()
    eigen: set[tuple[str, str]] = set()
    for uid, knoop in inhoud.get("nodes", {}).items():
        if knoop.get("resource_type") not in _RELATIE_TYPES:
            continue
        relatie = (str(knoop["schema"]), str(knoop.get("alias") or knoop["name"]))
        (gekoppeld if uid in afstammelingen else eigen).add(relatie)
    for uid, bron in inhoud.get("sources", {}).items():
        if uid != AANVRAAG_BRON:
            eigen.add((str(bron["schema"]), str(bron.get("identifier") or bron["name"])))
    return gekoppeld, eigen - gekoppeld


def _relaties(con: duckdb.DuckDBPyConnection, *, schema: str | None = None) -> dict[tuple[str, str], str]:
    sql = (
        "select table_schema, table_name, table_type from information_schema.tables"
        " where table_catalog = current_database()"
    )
    rijen = con.execute(sql + (" and table_schema = ?" if schema else ""), [schema] if schema else []).fetchall()
    return {(str(s), str(n)): str(t) for s, n, t in rijen}


def _aangevraagde_nummers_in(con: duckdb.DuckDBPyConnection, schema: str, naam: str) -> list[tuple[str, int]]:
    kolommen = con.execute(
        "select column_name, data_type from information_schema.columns"
        " where table_catalog = current_database() and table_schema = ? and table_name = ?",
        [schema, naam],
    ).fetchall()
    gevonden = []
    for kolom, soort in kolommen:
        if str(soort).upper() not in _TEKST_TYPES:
            continue
        rij = con.execute(
            f'select count(distinct t."{kolom}") from "{schema}"."{naam}" as t'
            f' inner join _aangevraagd as a on trim(t."{kolom}") = a.insz'
        ).fetchone()
        assert rij is not None
        if int(rij[0]):
            gevonden.append((str(kolom), int(rij[0])))
    return gevonden
