"""The BI file explains itself to someone who never saw the repository (the shared demo's file, read as a BI user
would): every name in the marts has a Dutch name and meaning, a "nee" never reads as its "ja", every percentage says
its unit and denominator, and `lees_mij` says how to add up rows and why an old cohort's figure moves between waves —
the last checked against the demo's own pseudonymised dataset."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb
import pytest

from demo_helpers import Demo

pytest_plugins = ["demo_fixtures"]
pytestmark = pytest.mark.slow

# (mart, column whose values name a dimension, attribute, field or source)
BENOEMD = (
    ("mart_inschrijving_vdab", "dimensie"),
    ("mart_evenredig_bereik", "dimensie"),
    ("mart_uitstroom_werk", "dimensie"),
    ("mart_dienstverlening_vdab", "dimensie"),
    ("mart_dienstverlening_vdab", "kenmerk"),
    ("mart_datakwaliteit", "veld"),
    ("mart_datakwaliteit", "bron"),
)
ONTKENNING = re.compile(r"\b(geen|niet)\b")


def _bi(demo: Demo) -> Path:
    return demo.out / "bi" / "monitoring.duckdb"


def test_every_name_and_answer_in_the_marts_reads_right_without_the_repository(demo: Demo) -> None:
    with duckdb.connect(str(_bi(demo)), read_only=True) as con:
        kenmerken = dict(con.execute("select kenmerk, naam || ': ' || uitleg from kenmerken").fetchall())
        for mart, kolom in BENOEMD:
            namen = {n for (n,) in con.execute(f"select distinct {kolom} from {mart}").fetchall()}
            assert namen and not namen - set(kenmerken), (mart, kolom, sorted(namen - set(kenmerken)))
        # the words a BI user meets without a definition elsewhere
        assert "Kruispuntbank Inburgering" in kenmerken["kbi_regio"]
        assert "professionele loopbaanoriëntatie" in kenmerken["plo_besluit"]
        assert "begeleiding" in kenmerken["status_dienstverlening"]
        for actie in ("orientatie", "context", "competentieversterking", "solliciteren"):
            assert len(kenmerken[f"actie_{actie}"]) > 80, actie
        # a "nee" says the opposite of its "ja"
        antwoorden = con.execute(
            "select ja.kenmerk, ja.omschrijving, nee.omschrijving from codelijsten as ja join codelijsten as nee "
            "on ja.kenmerk = nee.kenmerk and ja.code = 'ja' and nee.code = 'nee'"
        ).fetchall()
        assert len(antwoorden) >= 6
        for kenmerk, ja, nee in antwoorden:
            assert ONTKENNING.search(nee) and not ONTKENNING.search(ja), (kenmerk, ja, nee)
        # every percentage or share: its unit and its denominator
        for tabel, kolom, commentaar in con.execute(
            "select table_name, column_name, comment from duckdb_columns() where schema_name = 'main' "
            "and (column_name like 'percentage%' or column_name like 'aandeel%')"
        ).fetchall():
            assert commentaar and "procent" in commentaar and "noemer" in commentaar.lower(), (tabel, kolom)
        lees_mij = dict(con.execute("select onderwerp, uitleg from lees_mij").fetchall())
    assert {"begrippen", "totalen", "percentages", "vergelijken"} <= set(lees_mij)
    assert "filter eerst op één dimensie" in lees_mij["totalen"]


def test_an_old_cohort_moves_between_waves_only_for_the_reasons_lees_mij_gives(demo: Demo) -> None:
    """`lees_mij` (vergelijken): a later wave knows more — registrations after the earlier reference date, a bis number
    replaced by the register number VDAB links on. The same people, the same contract dates; any newcomer whose
    "registered within 60 days" differs between the two waves carries a replaced pseudonym."""
    with duckdb.connect(str(demo.out / "agentschap" / "monitoring.duckdb"), read_only=True) as con:
        golven = [g for (g,) in con.execute("select golf from golven order by golf").fetchall()]
        assert len(golven) >= 2
        vorige, laatste = golven[-2], golven[-1]
        verschillen = con.execute(
            """
            with personen as (
                select
                    dataset.golf,
                    coalesce(vervangen.nieuw_pseudoniem, dataset.pseudoniem) as persoon,
                    vervangen.nieuw_pseudoniem is not null as vervangen,
                    dataset.datum_inburgeringscontract as contract,
                    coalesce(dataset.eerste_inschrijving <= dataset.datum_inburgeringscontract + 60, false) as binnen_60
                from gepseudonimiseerde_dataset as dataset
                left join pseudoniem_vervangingen as vervangen on dataset.pseudoniem = vervangen.oud_pseudoniem
                where dataset.datum_inburgeringscontract + 60 <= (select peildatum from golven where golf = ?)
            ),
            toen as (select * from personen where golf = ?),
            nu as (select * from personen where golf = ?)
            select
                count(*) filter (where toen.persoon is null or nu.persoon is null),
                count(*) filter (where toen.contract is distinct from nu.contract),
                count(*) filter (where toen.binnen_60 <> nu.binnen_60),
                count(*) filter (where toen.binnen_60 <> nu.binnen_60 and not (toen.vervangen or nu.vervangen))
            from toen full join nu on toen.persoon = nu.persoon
            """,
            [vorige, vorige, laatste],
        ).fetchone()
    assert verschillen is not None
    weg_of_nieuw, ander_contract, _, onverklaard = verschillen
    assert (weg_of_nieuw, ander_contract, onverklaard) == (0, 0, 0), verschillen
