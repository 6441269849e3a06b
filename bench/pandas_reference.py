"""The reference compute_index is compared with: pandas reads a response CSV (the import contract's format,
as bench/make_responses_csv.py writes it) and computes the per-agency figures of sipas-methodology.md,
"Formulas" (default scoring, share-positive): every criterion's evaluation index, each factor's evaluation and
satisfaction indices, SIPAS, overall satisfaction (HL), expectation shares and reported-fact shares, with
"no data" as null.

    .venv/bin/python bench/pandas_reference.py var/bench/responses-1000000.csv [--out FIGURES.json]

Prints one JSON line: the seconds from the start of reading the CSV to having the figures (reading alone
too), the rows and the agencies. --out writes the figures per agency code in the shape of the export
contract's per-agency object (n, sipas, hl, factors, criteria, expectations, facts), for bench/compute_index.py
to compare with a run. Needs no database and no Django: the questions come from the SIPAS-2017 definition.

Written the way a competent analyst would: only the columns the formulas use, typed while parsing (scales
as float32, choices and the agency as categories), every count as one wide table of 0/1 indicators (int8) summed
in a single groupby, and the multiple choice decoded once per distinct answer rather than once per row.
Every row of the file counts: the generated files have no invalid rows and no response is excluded.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from surveys.methodology.sipas_2017 import definition

CHOICE_KINDS = ("single", "yes_no", "priority3")
CHOICE_ROLES = ("fact", "filter")


def plan() -> dict:
    d = definition()
    questions = d["questions"]
    factors: dict[str, dict] = {f["code"]: {"criteria": [], "satisfaction": None} for f in d["factors"]}
    for q in questions:
        if q["role"] == "criterion" and q["factor"]:
            factors[q["factor"]]["criteria"].append(q["code"])
        elif q["role"] == "factor_satisfaction" and q["factor"]:
            factors[q["factor"]]["satisfaction"] = q["code"]
    return {
        "positive_min": d["positive_min"],
        "scaled": [q["code"] for q in questions if q["kind"] == "scale5"],
        "choices": {
            q["code"]: [o["code"] for o in q["options"]]
            for q in questions
            if q["kind"] in CHOICE_KINDS and q["role"] in CHOICE_ROLES
        },
        "multi": {q["code"]: [o["code"] for o in q["options"]] for q in questions if q["kind"] == "multi"},
        "factors": factors,
        "overall": next((q["code"] for q in questions if q["role"] == "overall"), None),
    }


def compute(path: Path, p: dict) -> tuple[dict[str, pd.DataFrame], float]:
    """Read the CSV and compute every figure; returns the figures (data frames indexed by agency code)
    and the seconds spent reading."""
    scaled, choices, multi = p["scaled"], p["choices"], p["multi"]
    dtype = {"agency_code": "category"} | dict.fromkeys(scaled, "float32")
    dtype |= {code: pd.CategoricalDtype(options) for code, options in choices.items()}  # options as text
    dtype |= dict.fromkeys(multi, "category")
    started = time.perf_counter()
    df = pd.read_csv(path, usecols=list(dtype), dtype=dtype, keep_default_na=False, na_values=[""])
    read = time.perf_counter() - started

    indicators: dict[str, np.ndarray] = {}
    values = df[scaled].to_numpy()
    answered = ~np.isnan(values)
    positive = values >= p["positive_min"]  # NaN compares False
    for i, code in enumerate(scaled):
        indicators[f"a:{code}"] = answered[:, i]
        indicators[f"p:{code}"] = positive[:, i]
    for code, options in choices.items():
        column = df[code]
        indicators[f"a:{code}"] = column.notna().to_numpy()
        for option in options:
            indicators[f"k:{code}:{option}"] = (column == option).to_numpy()
    for code, options in multi.items():
        column = df[code].cat
        codes = column.codes.to_numpy()
        chosen = codes >= 0
        indicators[f"a:{code}"] = chosen
        spelled = [set(category.split("|")) for category in column.categories]
        for option in options:
            has = np.array([option in picked for picked in spelled] + [False])  # index -1 (blank) → False
            indicators[f"k:{code}:{option}"] = has[codes]
    # As int8 (a free view of the booleans): pandas sums those into int64 several times faster than bools.
    table = pd.DataFrame({key: indicator.view(np.int8) for key, indicator in indicators.items()})
    counts = table.groupby(df["agency_code"], observed=True, sort=True).sum()
    counts["n"] = df.groupby("agency_code", observed=True, sort=True).size()

    def score(code: str) -> pd.Series:
        answered = counts[f"a:{code}"]
        return (100.0 * counts[f"p:{code}"] / answered).where(answered > 0)

    def share(key: str, whole: str) -> pd.Series:
        answered = counts[whole]
        return (100.0 * counts[key] / answered).where(answered > 0)

    criteria = pd.DataFrame({c: score(c) for f in p["factors"].values() for c in f["criteria"]})
    evaluation = pd.DataFrame(
        {f: criteria[spec["criteria"]].mean(axis=1, skipna=True) for f, spec in p["factors"].items()}
    )
    satisfaction = pd.DataFrame(
        {f: score(spec["satisfaction"]) for f, spec in p["factors"].items() if spec["satisfaction"]}
    )
    headline = pd.DataFrame(
        {
            "n": counts["n"],
            "sipas": satisfaction.mean(axis=1, skipna=True),
            "hl": score(p["overall"]) if p["overall"] else np.nan,
        }
    )
    expectations = pd.DataFrame(
        {option: share(f"k:{code}:{option}", f"a:{code}") for code, options in multi.items() for option in options}
    )
    facts = pd.DataFrame(
        {
            f"{code}:{option}": share(f"k:{code}:{option}", f"a:{code}")
            for code, options in choices.items()
            for option in options
        }
    )
    result = {
        "headline": headline,
        "criteria": criteria,
        "evaluation": evaluation,
        "satisfaction": satisfaction,
        "expectations": expectations,
        "facts": facts,
    }
    return result, read


def per_agency(result: dict[str, pd.DataFrame], p: dict) -> dict[str, dict]:
    """The figures in the shape of the export contract's per-agency object (None for no data)."""

    def clean(value) -> float | None:
        return None if value is None or (isinstance(value, float) and math.isnan(value)) else float(value)

    out = {}
    rows = {name: frame.to_dict("index") for name, frame in result.items()}
    for agency, head in rows["headline"].items():
        out[agency] = {
            "n": int(head["n"]),
            "sipas": clean(head["sipas"]),
            "hl": clean(head["hl"]),
            "factors": {
                f: {
                    "evaluation": clean(rows["evaluation"][agency][f]),
                    "satisfaction": clean(rows["satisfaction"][agency].get(f)),
                }
                for f in p["factors"]
            },
            "criteria": {c: clean(v) for c, v in rows["criteria"][agency].items()},
            "expectations": {k: clean(v) for k, v in rows["expectations"][agency].items()},
            "facts": {
                code: {o: clean(rows["facts"][agency][f"{code}:{o}"]) for o in options}
                for code, options in p["choices"].items()
            },
        }
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("csv", type=Path)
    parser.add_argument("--out", type=Path, help="write the figures per agency code as JSON")
    args = parser.parse_args(argv)
    p = plan()
    started = time.perf_counter()
    result, read = compute(args.csv, p)
    seconds = time.perf_counter() - started
    if args.out:
        args.out.write_text(json.dumps(per_agency(result, p)), encoding="utf-8")
    head = result["headline"]
    print(
        json.dumps(
            {
                "seconds": seconds,
                "read_seconds": read,
                "rows": int(head["n"].sum()),
                "agencies": len(head),
                "pandas": pd.__version__,
            }
        )
    )


if __name__ == "__main__":
    main()
