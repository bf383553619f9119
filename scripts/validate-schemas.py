#!/usr/bin/env python3
"""Validates documents against schemas/ with Python's jsonschema: the independent validator
the Swift one is compared with.

stdin:  [{"schema": "app.schema.json", "document": {...}}, ...]
stdout: [{"valid": true|false, "errors": ["path: message", ...]}, ...]
"""
import json
import pathlib
import sys

import jsonschema
from referencing import Registry, Resource

root = pathlib.Path(__file__).resolve().parent.parent / "schemas"
schemas = {p.name: json.loads(p.read_text()) for p in root.glob("*.schema.json")}
registry = Registry().with_resources(
    (s["$id"], Resource.from_contents(s)) for s in schemas.values()
)
cases = json.load(sys.stdin)
out = []
for case in cases:
    validator = jsonschema.Draft202012Validator(schemas[case["schema"]], registry=registry)
    errors = [
        "%s: %s" % (".".join(str(p) for p in e.absolute_path) or "(document)", e.message)
        for e in validator.iter_errors(case["document"])
    ]
    out.append({"valid": not errors, "errors": errors})
json.dump(out, sys.stdout)
