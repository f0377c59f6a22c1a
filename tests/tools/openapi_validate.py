#!/usr/bin/python3
"""Validates request bodies against Customer.io's own OpenAPI document
(JSON Schema 2020-12 inside OpenAPI 3.1), with Debian's python3-jsonschema.

usage: openapi_validate.py OPENAPI.json PATH METHOD BODY.json...
Prints one line per body; exits 1 when any body does not conform.
"""
import json
import sys

import jsonschema

spec = json.load(open(sys.argv[1]))
path, method = sys.argv[2], sys.argv[3].lower()
schema = spec["paths"][path][method]["requestBody"]["content"]["application/json"]["schema"]
# the schema's $refs point into the whole document ("#/components/...")
resolver = jsonschema.RefResolver("", spec)
validator = jsonschema.Draft202012Validator(schema, resolver=resolver)
bad = 0
for f in sys.argv[4:]:
    body = json.load(open(f))
    errors = sorted(validator.iter_errors(body), key=lambda e: list(e.path))
    if errors:
        bad += 1
        best = jsonschema.exceptions.best_match(errors)
        print("NOT CONFORMING %s: %s at %s" % (f, best.message, list(best.absolute_path)))
    else:
        print("conforms %s" % f)
sys.exit(1 if bad else 0)
