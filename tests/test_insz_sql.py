"""The SQL macros insz_normaliseer / insz_ongeldig_reden agree with pijler3.insz on a large, varied sample.

The macros are rendered by dbt itself (``dbt compile --inline`` on the in-memory lint target) and the compiled SQL runs
in DuckDB over all strings at once; Python's answer, including the reason it gives, must be the same for every string.
"""

from __future__ import annotations

import datetime as dt
import random
from pathlib import Path

import duckdb
import pytest

from pijler3 import insz
from pijler3.dbt_runner import run_dbt

PEILDATUM = dt.date(2026, 6, 30)
SAMPLE_SIZE = 200_000

# Python's error messages (insz.normalise) -> the macro's Dutch reasons.
REASONS = {
    "is empty": "leeg",
    "contains characters": "tekens",
    "digits, expected 11": "lengte",
    "is all zeros": "nullen",
    "wrong checksum": "controlegetal",
    "has month": "maand",
}


def python_reason(text: str) -> str | None:
    try:
        insz.normalise(text, today=PEILDATUM)
    except ValueError as exc:
        return next(reason for phrase, reason in REASONS.items() if phrase in str(exc))
    return None


def with_check(first9: str, *, from_2000: bool) -> str:
    return first9 + f"{97 - int(('2' if from_2000 else '') + first9) % 97:02d}"


def sample(rng: random.Random) -> list[str]:
    """Valid numbers of both centuries, bis months, formatting and white space, near misses and garbage."""
    months = [*range(13), *range(20, 33), *range(40, 53), 13, 19, 33, 39, 53, 60, 99]
    out: list[str] = []
    while len(out) < SAMPLE_SIZE:
        kind = rng.randrange(10)
        first9 = f"{rng.randrange(100):02d}{rng.choice(months):02d}{rng.randrange(40):02d}{rng.randrange(1000):03d}"
        number = with_check(first9, from_2000=rng.random() < 0.4)
        if kind == 0:
            out.append(f"{number[:2]}.{number[2:4]}.{number[4:6]}-{number[6:9]}.{number[9:]}")
        elif kind == 1:
            pad = rng.choice([" ", "\t", "\u00a0", "\u3000", "\n", " \u2007 "])
            out.append(pad + number + rng.choice(["", " ", "\r\n", pad]))
        elif kind == 2:
            out.append("".join(rng.choice("0123456789") for _ in range(rng.choice([9, 10, 11, 11, 11, 12]))))
        elif kind == 3:
            i = rng.randrange(11)
            out.append(number[:i] + rng.choice("O lI-._/\t٣x") + number[i + 1 :])
        elif kind == 4:
            out.append(rng.choice(["", " ", "-", "...", "00000000000", "00.00.00-000.00", "0", " 0 "]))
        elif kind == 5:
            out.append(number[:-1] + str((int(number[-1]) + rng.randrange(1, 10)) % 10))
        else:
            out.append(number)
    return out


@pytest.fixture(scope="module")
def compiled_sql(tmp_path_factory: pytest.TempPathFactory) -> str:
    work = tmp_path_factory.mktemp("dbt-insz")
    result = run_dbt(
        [
            "compile",
            "--vars",
            f"{{peildatum: '{PEILDATUM.isoformat()}'}}",
            "--inline",
            "select tekst, {{ insz_normaliseer('tekst') }} as insz, {{ insz_ongeldig_reden('tekst') }} as reden"
            " from proef",
        ],
        target="lint",
        env={},
        work_dir=Path(work),
    )
    sql: str = result.result.results[0].node.compiled_code
    return sql


@pytest.mark.slow
def test_sql_macro_agrees_with_python_on_every_string(compiled_sql: str) -> None:
    texts = sample(random.Random(20260630))
    expected = {
        t: (insz.normalise(t, today=PEILDATUM) if python_reason(t) is None else None, python_reason(t))
        for t in set(texts)
    }
    assert {reason for _, reason in expected.values()} == {None, *REASONS.values()}  # the sample covers every rule

    with duckdb.connect() as con:
        got = con.execute(f"with proef as (select unnest(?) as tekst) {compiled_sql}", [list(expected)]).fetchall()

    disagreements = [(t, expected[t], (n, r)) for t, n, r in got if expected[t] != (n, r)]
    assert len(got) == len(expected)
    assert disagreements[:10] == []


def test_sql_null_is_empty(compiled_sql: str) -> None:
    with duckdb.connect() as con:
        got = con.execute(f"with proef as (select null::varchar as tekst) {compiled_sql}").fetchall()
    assert got == [(None, None, "leeg")]
