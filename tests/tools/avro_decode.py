#!/usr/bin/python3
"""Decodes retl's Kafka messages with an independent Avro library (Debian's
python3-avro) and the schemas/ files alone: reads each message's
single-object header, finds the schema whose CRC-64-AVRO fingerprint of its
Parsing Canonical Form (as python-avro computes it) matches, decodes the
body, prints one JSON line per message.

usage: avro_decode.py SCHEMA_DIR MESSAGE_FILE...
"""
import base64
import glob
import io
import json
import os
import sys

import avro.io
import avro.schema

EMPTY = 0xC15D213AA4D7A795
TABLE = []
for i in range(256):
    fp = i
    for _ in range(8):
        fp = (fp >> 1) ^ (EMPTY & -(fp & 1))
    TABLE.append(fp & 0xFFFFFFFFFFFFFFFF)


def crc64(data):
    fp = EMPTY
    for b in data:
        fp = (fp >> 8) ^ TABLE[(fp ^ b) & 0xFF]
    return fp


def plain(v):
    if isinstance(v, bytes):
        return {"bytes_b64": base64.b64encode(v).decode()}
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [plain(x) for x in v]
    return v


def main():
    schemas = {}
    for path in glob.glob(os.path.join(sys.argv[1], "*.avsc")):
        s = avro.schema.parse(open(path).read())
        schemas[crc64(s.canonical_form.encode())] = s
    for path in sys.argv[2:]:
        data = open(path, "rb").read()
        if data[:2] != b"\xc3\x01":
            print(json.dumps({"file": path, "error": "no single-object header"}))
            continue
        fp = int.from_bytes(data[2:10], "little")
        s = schemas.get(fp)
        if s is None:
            print(json.dumps({"file": path, "error": "unknown fingerprint %016x" % fp}))
            continue
        rec = avro.io.DatumReader(s).read(avro.io.BinaryDecoder(io.BytesIO(data[10:])))
        print(json.dumps({"file": os.path.basename(path), "schema": s.name, "record": plain(rec)},
                         sort_keys=True))


main()
