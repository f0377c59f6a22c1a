#!/usr/bin/python3
"""Checks Track API requests (as tests/tools/track_recorder.py records them)
with Debian's python3-jsonschema, against either

  schema  retl's own JSON Schema of the requests it sends
          (tests/data/track-requests.schema.json), sizes (x-max-bytes) included;
  openapi Customer.io's published Track API OpenAPI document (3.1, JSON
          Schema 2020-12 inside), from https://docs.customer.io/api/track/
          ("Download OpenAPI specification").

usage: track_validate.py schema|openapi DOCUMENT.json [--expect-invalid] REQUEST.json...
Prints one line per request. Exits 0 when every request conforms (with
--expect-invalid: when every request is refused), else 1.
"""
import json
import os
import re
import sys
import urllib.parse

import jsonschema


def strict_json(text):
    """JSON as the Track API reads it: no NaN/Infinity, no repeated member."""
    def no_constant(c):
        raise ValueError("%s is not JSON" % c)

    def no_repeat(pairs):
        seen = {}
        for k, v in pairs:
            if k in seen:
                raise ValueError("member %r appears twice" % k)
            seen[k] = v
        return seen
    return json.loads(text, parse_constant=no_constant, object_pairs_hook=no_repeat)


def compact_size(value):
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())


def first_error(validator, instance):
    errors = list(validator.iter_errors(instance))
    if not errors:
        return None
    best = jsonschema.exceptions.best_match(errors)
    while best.context:     # oneOf/anyOf: the closest branch's own error
        best = jsonschema.exceptions.best_match(best.context)
    message = best.message if len(best.message) <= 200 else best.message[:200] + "..."
    return "%s at %s" % (message, list(best.absolute_path))


class OwnSchema:
    """The in-repo schema: an instance is {"<request line>": body}."""

    def __init__(self, path):
        self.schema = json.load(open(path))
        self.validator = jsonschema.Draft202012Validator(self.schema)

    def resolve(self, s):
        while "$ref" in s:
            s = self.schema["$defs"][s["$ref"].rsplit("/", 1)[1]]
        return s

    def sizes(self, s, value, where):
        """Checks x-max-bytes on the compact JSON, following properties,
        patternProperties, items and $ref."""
        s = self.resolve(s)
        limit = s.get("x-max-bytes")
        if limit is not None and compact_size(value) > limit:
            return "%d bytes, over %d, at %s" % (compact_size(value), limit, where)
        if isinstance(value, dict):
            for k, v in value.items():
                subs = [s["properties"][k]] if k in s.get("properties", {}) else []
                subs += [p for r, p in s.get("patternProperties", {}).items() if re.search(r, k)]
                for sub in subs:
                    why = self.sizes(sub, v, where + [k])
                    if why:
                        return why
        if isinstance(value, list) and isinstance(s.get("items"), dict):
            for i, v in enumerate(value):
                why = self.sizes(s["items"], v, where + [i])
                if why:
                    return why
        return None

    def check(self, request, body):
        instance = {request: body}
        return first_error(self.validator, instance) or self.sizes(self.schema, instance, [])


class PublishedDocument:
    """Customer.io's OpenAPI document: the operation's request body, path
    and query parameters."""

    def __init__(self, path):
        self.spec = json.load(open(path))
        # the schemas' $refs point into the whole document ("#/components/...")
        self.resolver = jsonschema.RefResolver("", self.spec)

    def deref(self, o):
        while "$ref" in o:
            o = self.resolver.resolve(o["$ref"])[1]
        return o

    def validator(self, schema):
        return jsonschema.Draft202012Validator(schema, resolver=self.resolver)

    def check(self, request, body):
        method, target = request.split(" ", 1)
        url = urllib.parse.urlsplit(target)
        for template, item in self.spec["paths"].items():
            names = re.findall(r"\{(\w+)\}", template)
            m = re.fullmatch(re.sub(r"\\\{\w+\\\}", "([^/]+)", re.escape(template)), url.path)
            if m:
                break
        else:
            return "no path %s in the document" % url.path
        op = item.get(method.lower())
        if not op:
            return "no %s %s in the document" % (method, template)
        values = {("path", n): v for n, v in zip(names, m.groups())}
        for k, v in urllib.parse.parse_qsl(url.query, keep_blank_values=True):
            values[("query", k)] = v
        for p in [self.deref(p) for p in item.get("parameters", []) + op.get("parameters", [])]:
            v = values.pop((p["in"], p["name"]), None)
            if v is None:
                if p.get("required"):
                    return "%s parameter %s is missing" % (p["in"], p["name"])
                continue
            if p["schema"].get("type") == "integer":
                if not re.fullmatch(r"-?[0-9]+", v):
                    return "%s parameter %s=%s is not an integer" % (p["in"], p["name"], v)
                v = int(v)
            why = first_error(self.validator(p["schema"]), v)
            if why:
                return "%s parameter %s: %s" % (p["in"], p["name"], why)
        extra = [k for k in values if k[0] == "query"]
        if extra:
            return "query parameter %s is not in the document" % extra[0][1]
        schema = op["requestBody"]["content"]["application/json"]["schema"]
        return first_error(self.validator(schema), body)


def main(argv):
    kind, document = argv[1], argv[2]
    expect_invalid = len(argv) > 3 and argv[3] == "--expect-invalid"
    files = argv[4:] if expect_invalid else argv[3:]
    against = OwnSchema(document) if kind == "schema" else PublishedDocument(document)
    wrong = 0
    for f in files:
        rec = json.load(open(f))
        why = None
        if (rec.get("content_type") or "").split(";")[0].strip() != "application/json":
            why = "Content-Type is %r, not application/json" % rec.get("content_type")
        else:
            try:
                body = strict_json(rec["body"])
            except ValueError as e:
                why = "body is not JSON: %s" % e
            else:
                why = against.check(rec["request"], body)
        if expect_invalid:
            print("%s %s (%s): %s" % ("refused as it should be" if why else "WRONGLY ACCEPTED",
                                      os.path.basename(f), rec["request"], why or "conforms"))
        else:
            print("%s %s (%s)%s" % ("NOT CONFORMING" if why else "conforms", os.path.basename(f),
                                    rec["request"],
                                    ": " + why if why else ""))
        wrong += bool(why) != expect_invalid
    print("%d of %d requests %s %s" % (len(files) - wrong, len(files),
                                     "refused by" if expect_invalid else "conform to", document))
    return 1 if wrong or not files else 0


sys.exit(main(sys.argv))
