"""Cross-checks the hand-written schema-constrained decoding cases with Python's jsonschema.

Tests/Fixtures/structured/cases.json lists documents for the schemas in
Tests/Fixtures/structured/schemas/, each with `accepted`: whether Sightline's automaton must
accept it (hand-written). This script adds `is_json` (strict RFC 8259 per Python's json: no NaN,
no trailing comma) and `jsonschema_valid`: whether jsonschema's Draft 2020-12 validator finds
the document valid. It fails if an accepted
document is not valid (the automaton's promise); refused documents may be valid (the output
policy: compact JSON, declared property order, no surrogate escapes, bounded digits).

    /tmp/venv-jsonschema/bin/python scripts/reference/check_structured_cases.py
"""
import importlib.metadata
import json
import pathlib
import sys

import jsonschema

root = pathlib.Path(__file__).resolve().parents[2] / "Tests/Fixtures/structured"


def reject_constant(name):
    raise ValueError(f"{name} is not JSON")


def main():
    cases_path = root / "cases.json"
    cases = json.loads(cases_path.read_text(encoding="utf-8"))["cases"]
    schemas = {}
    problems = []
    for case in cases:
        name = case["schema"]
        if name not in schemas:
            schema = json.loads((root / "schemas" / f"{name}.json").read_text(encoding="utf-8"))
            jsonschema.Draft202012Validator.check_schema(schema)
            schemas[name] = jsonschema.Draft202012Validator(schema)
        try:
            instance = json.loads(case["document"], parse_constant=reject_constant)
            case["is_json"] = True
            valid = schemas[name].is_valid(instance)
        except ValueError:
            case["is_json"] = False
            valid = False
        case["jsonschema_valid"] = valid
        if case["accepted"] and not valid:
            problems.append(f"accepted but invalid for jsonschema: {name} {case['document']!r}")
    lines = ",\n".join("  " + json.dumps(case, ensure_ascii=False) for case in cases)
    cases_path.write_text('{"cases": [\n' + lines + "\n]}\n", encoding="utf-8")
    refused_valid = sum(1 for c in cases if not c["accepted"] and c["jsonschema_valid"])
    print(f"{len(cases)} cases, {refused_valid} refused by the output policy though schema-valid (jsonschema {importlib.metadata.version('jsonschema')})")
    for p in problems:
        print(p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
