# The chaos matrix's checker: the source against the sandboxes, the import reports, last_sync_time.
"""Proves from the outside what the pipeline did.

* sample(): at a moment during the faults, every sync's committed
  last_sync_time L (retl status --json), then the source, then the sandboxes:
  every row the next run will not read again (updated <= L - overlap) must be in
  its sandbox at its version or a newer one. L never goes back.
* final(): after the faults, every source row's final state is in its sandbox
  (people's attributes, objects, relationships present or deleted), nothing the
  source lacks is there; each run on the workspace topics has exactly one final
  import report; last_sync_time never went back in the reports.
"""
import collections
import json
import sqlite3
import subprocess
import urllib.request

from pipeline import NWS, OVERLAP


def source(db):
    """{w: (people, companies, links)} read from the SQLite file (SELECTs only; a
    read-write handle, which rolls back the journal a killed stand-in left)."""
    con = sqlite3.connect(db, timeout=30)
    out = {}
    try:
        for w in range(1, NWS + 1):
            people = {str(r[0]): r[1:] for r in con.execute(
                "SELECT id, email, gen, note, updated FROM people_w%d" % w)}
            companies = {r[0]: r[1:] for r in con.execute(
                "SELECT id, name, gen, updated FROM companies_w%d" % w)}
            links = {(str(r[0]), r[1]): r[2:] for r in con.execute(
                "SELECT person_id, company_id, role, rgen, deleted, updated FROM links_w%d" % w)}
            out[w] = (people, companies, links)
    finally:
        con.close()
    return out


def get(url):
    with urllib.request.urlopen(url, timeout=60) as r:
        return json.load(r)


def sandbox(base):
    """(people by id, objects by id, relationships by (person id, object id))."""
    people = {p["id"]: p for p in get(base + "/_sandbox/people?limit=100000000")["people"]}
    objects = {(o["object_type_id"], o["object_id"]): o
               for o in get(base + "/_sandbox/objects?limit=100000000")["objects"]}
    rels = {}
    for r in get(base + "/_sandbox/relationships")["relationships"]:
        rels[(r["person"]["id"], r["object_id"])] = r
    return people, objects, rels


class Checker:
    def __init__(self, pipe, log):
        self.pipe, self.log = pipe, log
        self.lst_seen = {}
        self.samples = 0
        self.sample_rows = 0
        self.violations = []

    # ------------------------------------------------------------ during the faults
    def sample(self):
        """One check of last_sync_time against the sandboxes; False when Kafka did not answer."""
        try:
            st = self.pipe.status()
        except Exception:
            return False
        lst = {s["sync"]: s.get("last_sync_time", 0) for s in st["syncs"]}
        for k, v in lst.items():
            if v < self.lst_seen.get(k, 0):
                self.violations.append("%s: last_sync_time went back from %d to %d"
                                       % (k, self.lst_seen[k], v))
            self.lst_seen[k] = max(v, self.lst_seen.get(k, 0))
        src = source(self.pipe.db)
        for w in range(1, NWS + 1):
            people, objects, rels = sandbox(self.pipe.sbx(w))
            sp, sc, sl = src[w]
            lp = lst.get("people-w%d" % w, 0) - OVERLAP
            lc = lst.get("companies-w%d" % w, 0) - OVERLAP
            for pid, (email, gen, note, upd) in sp.items():
                if upd > lp:
                    continue
                self.sample_rows += 1
                got = people.get(pid)
                if not got or (got["attributes"].get("gen") or 0) < gen:
                    self.violations.append(
                        "w%d person %s (gen %d, updated %d) not in the sandbox (%s) though "
                        "people-w%d's last_sync_time is %d" % (
                            w, pid, gen, upd, got and got["attributes"].get("gen"), w, lp + OVERLAP))
            for cid, (name, gen, upd) in sc.items():
                if upd > lc:
                    continue
                self.sample_rows += 1
                got = objects.get(("1", cid))
                if not got or (got["attributes"].get("gen") or 0) < gen:
                    self.violations.append(
                        "w%d company %s (gen %d, updated %d) not in the sandbox though "
                        "companies-w%d's last_sync_time is %d" % (w, cid, gen, upd, w, lc + OVERLAP))
            for key, (role, rgen, deleted, upd) in sl.items():
                if upd > lp:
                    continue
                self.sample_rows += 1
                got = rels.get(key)
                have = got and (got["attributes"].get("rgen") or 0)
                if (not deleted and (not got or have < rgen)) or (deleted and got and have <= rgen):
                    self.violations.append(
                        "w%d relationship %s (rgen %d, deleted %d, updated %d) is %s though "
                        "people-w%d's last_sync_time is %d" % (
                            w, key, rgen, deleted, upd, "absent" if not got else "rgen %s" % have,
                            w, lp + OVERLAP))
        self.samples += 1
        return True

    # ------------------------------------------------------------ at the end
    def final(self):
        res = collections.Counter()
        bad = []
        src = source(self.pipe.db)
        for w in range(1, NWS + 1):
            people, objects, rels = sandbox(self.pipe.sbx(w))
            sp, sc, sl = src[w]
            for pid, (email, gen, note, _) in sp.items():
                res["rows checked"] += 1
                got = people.get(pid)
                a = got["attributes"] if got else {}
                if not got or a.get("gen") != gen or a.get("note") != note or \
                        (a.get("email") or got.get("email")) != email:
                    res["rows lost"] += 1
                    bad.append("w%d person %s: source gen %d note %r, sandbox %s" % (
                        w, pid, gen, note, json.dumps(a)[:200] if got else "absent"))
                else:
                    res["dup"] += max(0, got["updates"] - gen)
            for pid in people.keys() - sp.keys():
                res["extra"] += 1
                bad.append("w%d person %s is in the sandbox, not in the source" % (w, pid))
            for cid, (name, gen, _) in sc.items():
                res["rows checked"] += 1
                got = objects.get(("1", cid))
                a = got["attributes"] if got else {}
                if not got or a.get("gen") != gen or a.get("name") != name:
                    res["rows lost"] += 1
                    bad.append("w%d company %s: source gen %d, sandbox %s" % (
                        w, cid, gen, json.dumps(a)[:200] if got else "absent"))
                else:
                    res["dup"] += max(0, got["updates"] - gen)
            for key in objects.keys() - {("1", c) for c in sc}:
                res["extra"] += 1
                bad.append("w%d object %s is in the sandbox, not in the source" % (w, key))
            for key, (role, rgen, deleted, _) in sl.items():
                res["rows checked"] += 1
                got = rels.get(key)
                if deleted:
                    if got:
                        res["rows lost"] += 1
                        bad.append("w%d relationship %s deleted in the source (rgen %d), "
                                   "still in the sandbox" % (w, key, rgen))
                    continue
                a = got["attributes"] if got else {}
                if not got or a.get("rgen") != rgen or a.get("role") != role:
                    res["rows lost"] += 1
                    bad.append("w%d relationship %s: source role %s rgen %d, sandbox %s" % (
                        w, key, role, rgen, json.dumps(a) if got else "absent"))
            for key in rels.keys() - sl.keys():
                res["extra"] += 1
                bad.append("w%d relationship %s is in the sandbox, not in the source" % (w, key))
        return res, bad

    def dump(self, *args):
        r = subprocess.run([self.pipe.retl, "dump", "-c", self.pipe.cfg, *args,
                            "--from-beginning", "--json"], capture_output=True, text=True,
                           timeout=120, env=self.pipe.env)
        if r.returncode:
            raise RuntimeError("retl dump %s: %s" % (args, r.stderr[-500:]))
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def reports(self):
        """Runs on the topics against the import reports; returns (counts, problems)."""
        res = collections.Counter()
        bad = []
        started = collections.Counter()
        for w in range(1, NWS + 1):
            for r in self.dump("w%d" % w):
                if r["type"] == "RunStarted":
                    started[r["run_id"]] += 1
        reports = self.dump("--topic", "chaos-imports")
        final = collections.defaultdict(list)
        for r in reports:
            if r["status"] != "RUNNING":
                final[r["run_id"]].append(r["status"])
        # a run that failed before it published anything (the database or Kafka
        # away when it began) has a FAILED report and no record on its topic
        unpublished = {r["run_id"] for r in reports if r["run_id"] not in started
                       and r["status"] == "FAILED" and not r.get("rows")}
        for run, n in started.items():
            if n > 1:
                bad.append("run %s published %d times" % (run, n))
            if run not in final:
                bad.append("run %s has no final import report" % run)
            elif len(final[run]) > 1:
                res["duplicate final reports"] += 1
                bad.append("run %s has %d final import reports: %s" % (
                    run, len(final[run]), ", ".join(final[run])))
        for run, v in final.items():
            if run not in started and v != ["SKIPPED"] and not (run in unpublished and v == ["FAILED"]):
                bad.append("final report %s of run %s, which is on no topic" % (v, run))
        last = {}
        for r in reports:
            if r["status"] in ("RUNNING", "SKIPPED") or r["run_id"] in unpublished:
                continue
            s = r["sync"]
            if r["last_sync_time"] < last.get(s, 0):
                bad.append("%s: last_sync_time %d after %d in the reports (run %s)" % (
                    s, r["last_sync_time"], last[s], r["run_id"]))
            last[s] = max(last.get(s, 0), r["last_sync_time"])
        res["runs"] = len(started)
        for run in started:
            for st in final.get(run, [])[:1]:
                res["runs " + st] += 1
        res["skipped runs"] = sum(1 for v in final.values() if v == ["SKIPPED"])
        res["failed before publishing"] = len(unpublished)
        return res, bad
