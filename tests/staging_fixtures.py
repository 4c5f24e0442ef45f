"""Hand-written extracts in the shape of docs/bronbestanden.md, with the defects protocol art. 7 expects.

Small on purpose: every dirty row is listed with what is wrong with it, so tests can check that each one is reported.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path

import duckdb

from pijler3.loading import KBI_CSV_COLUMNS, VDAB_PARQUET_COLUMNS

D = dt.date

# fmt: off
KBI_PERSONEN: list[tuple[str, ...]] = [
    # line 2: clean
    ("85073003328", "25-34", "man", "laag", "Marokko", "14/04/2023", "verplicht", "01/02/2023", "15/02/2023",
     "01/03/2023", "Stad Antwerpen", "toeleiding VDAB", "", "standaard", "1.2", "standaardtraject", "nee", "", "ja",
     "gezinshereniging"),
    # line 3: formatted INSZ and spelling variants of known labels (case, accents, spaces, synonyms)
    ("90.02.15-124.69", "35 - 44", "Vrouw ", "MIDDEN", "Syrië", "02/05/2023", "Verplicht", "10/01/2023", "20/01/2023",
     "01/02/2023", "Oost Vlaanderen", "Toeleiding naar VDAB", "", "Trage leerder", "A2", "Standaard traject", "Ja",
     "in behandeling", "NEE", "Erkend  Vluchteling"),
    # line 4: invalid checksum, impossible date 31/02/2024
    ("12345678901", "45-54", "man", "hoog", "Turkije", "31/02/2024", "rechthebbend", "01/01/2024", "05/01/2024",
     "10/01/2024", "Limburg", "geen toeleiding", "werkt", "snel", "4", "versneld traject", "ja", "gelijkwaardig", "nee",
     "arbeidsmigrant"),
    # line 5: empty INSZ and empty values everywhere
    ("", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", "", ""),
    # line 6: exact duplicate of line 2
    ("85073003328", "25-34", "man", "laag", "Marokko", "14/04/2023", "verplicht", "01/02/2023", "15/02/2023",
     "01/03/2023", "Stad Antwerpen", "toeleiding VDAB", "", "standaard", "1.2", "standaardtraject", "nee", "", "ja",
     "gezinshereniging"),
    # line 7: bis number; unknown labels for geslacht and verblijfsstatus; a quoted value with ; and doubled quotes
    ("02441008789", "18-24", "onbekend", "onbekend", "Oekraïne", "01/09/2024", "rechthebbend", "01/07/2024",
     "15/07/2024", "2024-08-01", "Stad Gent", "uitgesteld", 'andere; "zie dossier"', "alfa", "geen", "alfatraject",
     "nee", "", "nee", "Marsbewoner"),
]
KBI_INSZ_VERVANGINGEN: list[tuple[str, ...]] = [
    ("02441008789", "02041008703", "15/06/2025"),
    ("98472899765", "98.07.28-097.06", "31/02/2024"),  # line 3: impossible date
    ("12345678901", "85073003328", ""),  # line 4: invalid old number, empty date
]

VDAB: dict[str, list[tuple[object, ...]]] = {
    "personen": [
        (1, "85073003328"),
        (2, "90.02.15-124.69"),  # formatted
        (3, "12345678901"),  # invalid checksum
        (4, None),  # empty
        (5, "   "),  # blank
        (6, "02041008703"),  # the register number that replaced a bis number
        (7, "77010134585"),
        (7, "77010134585"),  # duplicate row
        (8, "85133000105"),  # month 13
    ],
    "inschrijvingen": [
        (1, D(2023, 5, 1), None),
        (2, D(2023, 6, 1), D(2023, 12, 31)),
        (6, D(2024, 7, 1), D(2024, 3, 1)),  # ends before it starts
        (7, D(2022, 1, 1), None),
        (99, D(2024, 1, 1), None),  # client not in personen
    ],
    "categorie_historiek": [
        (1, "00", D(2023, 5, 1), None),
        (2, "03", D(2023, 6, 1), D(2023, 12, 31)),
        (6, "99", D(2024, 7, 1), None),  # not a category code
        (7, "02", D(2022, 1, 1), D(2021, 12, 1)),  # ends before it starts
    ],
    "dienstverlening_historiek": [
        (1, "In bemiddeling", D(2023, 5, 1), None),
        (2, "in  opleiding", D(2023, 6, 1), D(2023, 12, 31)),
        (6, "Onbekende status", D(2024, 7, 1), None),  # unknown label
        (7, None, D(2022, 1, 1), None),  # empty
    ],
    "acties": [
        (1, 1, "Oriëntatie", "A100", D(2023, 5, 10), D(2023, 6, 10)),
        (2, 1, "competentie versterking", "B200", D(2023, 7, 1), None),
        (3, 2, "SOLLICITEREN", "C300", D(2023, 8, 1), D(2023, 7, 1)),  # ends before it starts
        (4, 7, "context", "D400", D(2022, 2, 1), D(2022, 3, 1)),
        (5, 7, "koffie drinken", "X1", D(2022, 4, 1), None),  # unknown label
        (6, 6, "", "E500", D(2024, 8, 1), None),  # empty label
    ],
    "werkhervattingen": [
        (1, D(2024, 1, 15)),
        (7, None),  # empty date
    ],
}
# fmt: on


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[str]], *, delimiter: str = ";") -> str:
    """CSV the way the KBI writes it (without the BOM): quote only where needed, ``\\r\\n`` line ends."""

    def field(value: str) -> str:
        if any(c in value for c in (delimiter, '"', "\r", "\n")):
            return '"' + value.replace('"', '""') + '"'
        return value

    lines = [delimiter.join(columns)] + [delimiter.join(field(v) for v in row) for row in rows]
    return "\r\n".join(lines) + "\r\n"


def write_kbi(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in (("personen", KBI_PERSONEN), ("insz_vervangingen", KBI_INSZ_VERVANGINGEN)):
        text = "\ufeff" + csv_text(KBI_CSV_COLUMNS[stem], rows)
        (folder / f"{stem}.csv").write_bytes(text.encode("utf-8"))
    return folder


def write_parquet(path: Path, columns: dict[str, str], rows: Sequence[Sequence[object]]) -> None:
    with duckdb.connect() as con:
        con.execute(f"create table t ({', '.join(f'{name} {kind}' for name, kind in columns.items())})")
        con.executemany(f"insert into t values ({', '.join('?' for _ in columns)})", [list(r) for r in rows])
        con.execute(f"copy t to '{path}' (format parquet)")


def write_vdab(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for stem, rows in VDAB.items():
        write_parquet(folder / f"{stem}.parquet", dict(VDAB_PARQUET_COLUMNS[stem]), rows)
    return folder
