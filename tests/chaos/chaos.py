#!/usr/bin/env python3
# The fault matrix: the whole pipeline under seeded faults, then every row accounted for.
"""usage: tests/chaos/chaos.py [--seed N] [--faults N] [--workdir DIR] [--skip|--only|--extra KIND,...]

Runs the stand-in with a source that keeps changing, `retl extract`, a real
Kafka broker of its own, three `retl upload` workers in one group and two
`retl sandbox` workspaces (a people sync with a relationship query and an
objects sync each), injects --faults faults chosen by the seed (printed; give
it again to replay the same choices), lets the daemons settle and checks
(check.py). Exit 0 when no row was lost; 1 otherwise, with what went wrong.
Needs: RETL, RETL_MSSQL_STANDIN (default: the sanitizer build), tsql, kcat,
java, sqlite3; Toxiproxy from tests/chaos/toxiproxy.sh (CHAOS_TOXIPROXY=off
runs without network faults).
"""
import argparse
import collections
import os
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from pipeline import NWS, Pipeline, http, wait_for  # noqa: E402
from check import Checker  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "../.."))
UPLOADERS = 3


class Chaos:
    def __init__(self, pipe, rng, nfaults, log, skip=(), extra=(), only=()):
        self.p, self.rng, self.nfaults, self.log = pipe, rng, nfaults, log
        self.count = collections.Counter()
        self.unexpected = []
        self.suppressed = {}      # w -> ids suppressed in that sandbox
        kinds = ["extractor-kill9", "extractor-term", "uploader-kill9", "uploader-term",
                 "broker-kill9", "db-kill9", "sbx-429", "sbx-5xx", "sbx-slow", "sbx-207",
                 "sbx-partial-207", "sbx-drop"]
        if pipe.tox:
            kinds += ["net-latency", "net-bandwidth", "net-reset", "net-timeout", "net-slow-close"]
        kinds.append("uploader-freeze")
        if pipe.tox:
            # Kafka slowed so that a final report goes out before its commit:
            # the next worker must not report the run again
            kinds.append("uploader-freeze-after-report")
        known = ["uploader-freeze-after-report"]
        self.kinds = list(only) or [k for k in kinds if k not in skip] + list(extra)
        bad = [k for k in self.kinds if k not in kinds + known]
        if bad:
            raise SystemExit("chaos.py: unknown fault kinds %s (known: %s)" % (bad, kinds + known))

    def plan(self):
        """The faults in order: every kind once per round, rounds shuffled by the seed."""
        out = []
        while len(out) < self.nfaults:
            r = list(self.kinds)
            self.rng.shuffle(r)
            out += r
        return out[:self.nfaults]

    # ------------------------------------------------------------ helpers
    def hold(self, lo, hi):
        d = self.rng.uniform(lo, hi)
        time.sleep(d)
        return d

    def watchdog(self):
        """Daemons that exited without being told to are findings; they are restarted."""
        p = self.p
        if p.extractor.poll() is not None:
            self.unexpected.append("extractor exited %s" % p.extractor.returncode)
            self.log("   ! the extractor exited by itself (status %s); restarted" % p.extractor.returncode)
            p.start_extractor()
        for n, u in list(p.uploaders.items()):
            if u.poll() is not None:
                self.unexpected.append("uploader u%d exited %s" % (n, u.returncode))
                self.log("   ! uploader u%d exited by itself (status %s); restarted" % (n, u.returncode))
                p.start_uploader(n)
        if p.standin.poll() is not None:
            self.unexpected.append("stand-in exited %s" % p.standin.returncode)
            p.start_standin()

    def midrun(self, secs):
        """Waits (up to secs) for the extractor to log a run start after now."""
        path = os.path.join(self.p.w, "extract.log")
        size = os.path.getsize(path)
        end = time.time() + secs
        while time.time() < end:
            with open(path, "rb") as f:
                f.seek(size)
                if re.search(rb" started: workspace ", f.read()):
                    return True
            time.sleep(0.05)
        return False

    def signal_proc(self, proc, kind):
        sig = signal.SIGKILL if kind.endswith("kill9") else signal.SIGTERM
        rc = self.p.stop(proc, sig)
        if sig == signal.SIGTERM and rc != 0:
            self.unexpected.append("%s: SIGTERM exit %s" % (kind, rc))
            self.log("   ! %s: exit %s after SIGTERM, want 0" % (kind, rc))
        return rc

    # ------------------------------------------------------------ the faults
    def inject(self, i, kind):
        p, rng = self.p, self.rng
        note = ""
        if kind.startswith("extractor-"):
            mid = rng.random() < 0.6 and self.midrun(8)
            time.sleep(rng.uniform(0, 0.4))
            self.signal_proc(p.extractor, kind)
            note = "mid-run" if mid else "at a random moment"
            self.log_fault(i, kind, note)
            self.hold(0.2, 3)
            p.start_extractor()
        elif kind == "uploader-freeze":
            # SIGSTOP past the group's session timeout (6 s): a pause (GC, a
            # frozen VM) after which the group has moved on without it
            n = rng.choice(sorted(p.uploaders))
            time.sleep(rng.uniform(0, 2))
            p.uploaders[n].send_signal(signal.SIGSTOP)
            self.log_fault(i, kind, "u%d" % n)
            self.hold(7, 10)
            p.uploaders[n].send_signal(signal.SIGCONT)
        elif kind == "uploader-freeze-after-report":
            self.freeze_after_report(i)
        elif kind.startswith("uploader-"):
            n = rng.choice(sorted(p.uploaders))
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0, 2))
            self.signal_proc(p.uploaders[n], kind)
            self.log_fault(i, kind, "u%d" % n)
            self.hold(0.5, 4)
            p.start_uploader(n)
        elif kind == "broker-kill9":
            p.kill_broker()
            self.log_fault(i, kind, "")
            self.hold(1, 5)
            p.restart_broker()
            self.log("   broker back")
        elif kind == "db-kill9":
            mid = rng.random() < 0.6 and self.midrun(8)
            p.standin.kill()
            p.standin.wait()
            self.log_fault(i, kind, "the database went away " + ("mid-query" if mid else "at a random moment"))
            self.hold(1, 5)
            p.start_standin()
        elif kind.startswith("sbx-"):
            ws = rng.choice([[1], [2], list(range(1, NWS + 1))])
            if kind == "sbx-partial-207":
                self.partial_207(i, ws)
                return
            f = {"sbx-429": lambda: {"rate_limit": rng.randint(1, 3), "retry_after": 1},
                 "sbx-5xx": lambda: {"error_rate": round(rng.uniform(0.5, 1), 2),
                                     "error_status": rng.choice([500, 502, 503, 504])},
                 "sbx-slow": lambda: {"latency_ms": rng.choice([500, 1500, 3000, 6000])},
                 "sbx-207": lambda: {"script": [207] * rng.randint(1, 6)},
                 "sbx-drop": lambda: {"drop_rate": round(rng.uniform(0.3, 0.8), 2)}}[kind]()
            for w in ws:
                http("POST", p.sbx(w) + "/_sandbox/faults", f)
            self.log_fault(i, kind, "w%s %s" % (",".join(map(str, ws)), f))
            self.hold(2, 6)
            for w in ws:
                http("POST", p.sbx(w) + "/_sandbox/faults", {})
        elif kind.startswith("net-"):
            link = rng.choice(["db", "kafka"] + ["sbx%d" % w for w in range(1, NWS + 1)])
            stream = rng.choice(["downstream", "upstream"])
            t, attrs = {"net-latency": ("latency", {"latency": rng.randint(200, 2000), "jitter": 100}),
                        "net-bandwidth": ("bandwidth", {"rate": rng.randint(2, 64)}),
                        "net-reset": ("reset_peer", {"timeout": rng.randint(0, 500)}),
                        "net-timeout": ("timeout", {"timeout": rng.randint(500, 4000)}),
                        "net-slow-close": ("slow_close", {"delay": rng.randint(500, 3000)})}[kind]
            name = p.tox.add(link, t, attrs, stream)
            self.log_fault(i, kind, "%s %s %s" % (link, stream, attrs))
            self.hold(2, 6)
            p.tox.remove(link, name)

    def freeze_after_report(self, i):
        """The window of the known duplicate report: Kafka slowed (the commit waits for
        the report's delivery), an uploader stopped as soon as it logs a final report,
        past the session timeout, then continued."""
        p = self.p
        tox = p.tox.add("kafka", "latency", {"latency": 1500, "jitter": 0}) if p.tox else None
        sizes = {n: os.path.getsize(os.path.join(p.w, "u%d.log" % n)) for n in p.uploaders}
        end, hit = time.time() + 20, None
        while time.time() < end and not hit:
            for n, size in sizes.items():
                with open(os.path.join(p.w, "u%d.log" % n), "rb") as f:
                    f.seek(size)
                    if re.search(rb"run=\S+ sync=\S+ completed: ", f.read()):
                        hit = n
                        break
            time.sleep(0.005)
        if hit:
            p.uploaders[hit].send_signal(signal.SIGSTOP)
        self.log_fault(i, "uploader-freeze-after-report",
                       "u%d stopped just after a final report" % hit if hit else "no report within 20 s")
        if hit:
            self.hold(7, 10)
            p.uploaders[hit].send_signal(signal.SIGCONT)
        if tox:
            p.tox.remove("kafka", tox)

    def partial_207(self, i, ws):
        """Real 207s: a few people suppressed (suppressed = "fail" makes them failed
        rows), changed in the source so that they are sent, then let go."""
        p = self.p
        for w in ws:
            np_ = p.next_ids[w][0]
            ids = sorted(self.rng.sample(range(1, np_), 5))
            for pid in ids:
                http("POST", p.sbx(w) + "/_sandbox/suppress", {"id": str(pid)})
            self.suppressed[w] = ids
            p.tsql(["UPDATE people_w%d SET gen = gen + 1, updated = %s WHERE id IN (%s)"
                    % (w, p.NOW, ",".join(map(str, ids)))])
        self.log_fault(i, "sbx-partial-207", "suppressed %s" % {w: self.suppressed[w] for w in ws})
        self.hold(3, 7)
        self.unsuppress()

    def unsuppress(self):
        for w, ids in self.suppressed.items():
            for pid in ids:
                http("POST", self.p.sbx(w) + "/_sandbox/unsuppress", {"id": str(pid)})
        self.suppressed = {}

    def log_fault(self, i, kind, note):
        self.count[kind] += 1
        self.log("fault %d/%d %s %s" % (i + 1, self.nfaults, kind, note))

    def run(self):
        for i, kind in enumerate(self.plan()):
            self.watchdog()
            time.sleep(self.rng.uniform(0.5, 2.5))
            self.inject(i, kind)
        self.watchdog()

    def calm(self):
        """Every fault off."""
        if self.p.tox:
            self.p.tox.clear()
        for w in range(1, NWS + 1):
            http("POST", self.p.sbx(w) + "/_sandbox/faults", {})
        self.unsuppress()


def settle(pipe, checker, t_stop, secs, log):
    """Polls until every sync has nothing pending and a completed run that started
    after the writer stopped; returns the last status."""
    end = time.time() + secs
    last = None
    while time.time() < end:
        try:
            st = pipe.status()
        except Exception as e:  # Kafka still coming back
            last = str(e)
            time.sleep(1)
            continue
        last = st
        ready = True
        for s in st["syncs"]:
            imp = s["imports"][0] if s["imports"] else None
            if s.get("pending_records", 1) or not imp or imp["status"] != "completed" \
                    or imp["started_at_ms"] < (t_stop + 1.5) * 1000:
                ready = False
        if ready:
            return True, st
        checker.sample()
        time.sleep(1)
    return False, last


def main():
    ap = argparse.ArgumentParser(description="retl's fault matrix")
    ap.add_argument("--seed", type=int, default=int(os.environ.get("SEED") or time.time() * 1000 % 10 ** 9))
    ap.add_argument("--faults", type=int, default=int(os.environ.get("FAULTS") or 50))
    ap.add_argument("--workdir", default=os.environ.get("RETL_TEST_TMP") or os.path.join(ROOT, "tests/.run/chaos"))
    ap.add_argument("--people", type=int, default=300)
    ap.add_argument("--settle", type=int, default=300)
    ap.add_argument("--self-test", action="store_true",
                    help="after settling, change a row behind the pipeline's back: it must be reported lost")
    ap.add_argument("--extra", default="",
                    help="fault kinds added to the plan (all are in it by default)")
    ap.add_argument("--only", default="", help="only these fault kinds, comma-separated")
    ap.add_argument("--skip", default="", help="fault kinds left out, comma-separated")
    a = ap.parse_args()
    retl = os.environ.get("RETL") or os.path.join(ROOT, "build/asan/bin/retl")
    standin = os.environ.get("RETL_MSSQL_STANDIN") or os.path.join(ROOT, "build/asan/bin/retl-mssql-standin")
    os.environ.setdefault("ASAN_OPTIONS", "detect_leaks=1:abort_on_error=0")
    os.environ.setdefault("LSAN_OPTIONS", "suppressions=%s/tests/lsan.supp:print_suppressions=0" % ROOT)
    os.environ.setdefault("UBSAN_OPTIONS", "print_stacktrace=1:halt_on_error=1")
    # a SIGTERM (tests/run.sh's timeout) still stops the broker and the daemons
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    shutil.rmtree(a.workdir, ignore_errors=True)
    os.makedirs(a.workdir)
    t0 = time.time()
    flog = open(os.path.join(a.workdir, "chaos.log"), "a")

    def log(msg):
        line = "[%s +%6.1fs] %s" % (time.strftime("%H:%M:%S", time.gmtime()), time.time() - t0, msg)
        print(line, flush=True)
        flog.write(line + "\n")
        flog.flush()

    tox_bin = None
    if os.environ.get("CHAOS_TOXIPROXY") != "off":
        r = subprocess.run([os.path.join(ROOT, "tests/chaos/toxiproxy.sh")], capture_output=True, text=True)
        if r.returncode == 0:
            tox_bin = r.stdout.strip()
        else:
            log("no Toxiproxy (%s): network faults left out" % r.stderr.strip().splitlines()[-1:])
    log("seed %d, %d faults (replay: SEED=%d FAULTS=%d make chaos)" % (a.seed, a.faults, a.seed, a.faults))
    # one stream per use, so that the plan of faults depends on the seed alone
    pipe = Pipeline(ROOT, a.workdir, retl, standin, tox_bin, random.Random("%d/source" % a.seed), log)
    checker = Checker(pipe, log)
    ok = False
    try:
        pipe.make_source(a.people, 20, a.people)
        pipe.start_standin()
        pipe.start_broker()
        pipe.start_sandboxes()
        pipe.write_config()
        log("pipeline: broker %s, stand-in :%d, sandboxes %s, Toxiproxy %s" % (
            pipe.kafka_addr, pipe.standin_port, [s[1] for s in pipe.sandboxes],
            "on db, kafka, sbx1, sbx2" if pipe.tox else "off"))
        for n in range(1, UPLOADERS + 1):
            pipe.start_uploader(n)
        pipe.start_extractor()
        writer = threading.Thread(target=pipe.writer, args=("%d/writer" % a.seed,), daemon=True)
        writer.start()
        wait_for("the first completed run of every sync", 180, lambda: all(
            s.get("last_sync_time", 0) > 0 for s in pipe.status()["syncs"]))
        log("every sync has completed a run; faults begin")
        chaos = Chaos(pipe, random.Random("%d/faults" % a.seed), a.faults, log,
                      [k for k in a.skip.split(",") if k], [k for k in a.extra.split(",") if k],
                      [k for k in a.only.split(",") if k])
        sampling = threading.Event()

        def sampler():
            while not sampling.wait(3):
                try:
                    checker.sample()
                except Exception as e:
                    log("   (sample skipped: %s)" % e)
        st = threading.Thread(target=sampler, daemon=True)
        st.start()
        chaos.run()
        chaos.calm()
        pipe.writer_stop.set()
        writer.join()
        t_stop = time.time()
        sampling.set()
        st.join()
        log("faults stopped; %d source batches written (%d failed); settling" % (
            pipe.writes["batches"], pipe.writes["failed"]))
        settled, status = settle(pipe, checker, t_stop, a.settle, log)
        if not settled:
            log("NOT SETTLED within %ds: %s" % (a.settle, str(status)[:2000]))
        checker.sample()
        if a.self_test:
            # the checker's own test: a change no run can see (stamped before every
            # watermark) must be reported as a lost row
            con = sqlite3.connect(pipe.db, timeout=30)
            con.execute("UPDATE people_w1 SET gen = gen + 1, updated = 0 WHERE id = 1")
            con.commit()
            con.close()
        res, bad = checker.final()
        planted = [b for b in bad if b.startswith("w1 person 1:")] if a.self_test else []
        if planted:
            bad.remove(planted[0])
            res["rows lost"] -= 1
        rep, rbad = checker.reports()
        sanitizer = subprocess.run("grep -lE 'AddressSanitizer|LeakSanitizer|runtime error:' %s/*.log"
                                   % a.workdir, shell=True, capture_output=True, text=True).stdout.split()
        for b in (bad + rbad + checker.violations)[:40]:
            log("   PROBLEM: " + b)
        log("=" * 60)
        log("seed: %d   (replay: SEED=%d FAULTS=%d make chaos)" % (a.seed, a.seed, a.faults))
        log("faults injected: %d  %s" % (sum(chaos.count.values()),
                                          ", ".join("%s %d" % kv for kv in sorted(chaos.count.items()))))
        log("daemons that exited unasked: %d %s" % (len(chaos.unexpected), chaos.unexpected[:5]))
        log("rows checked: %d (people, companies, relationships of %d workspaces)" % (res["rows checked"], NWS))
        log("rows lost: %d   rows the source lacks: %d" % (res["rows lost"], res["extra"]))
        log("last_sync_time samples: %d, rows checked against them: %d, violations: %d" % (
            checker.samples, checker.sample_rows, len(checker.violations)))
        log("runs published: %d, final reports: %s; runs with more than one final report: %d;"
            " other report problems: %d" % (
                rep["runs"], ", ".join("%s %d" % (k[5:], v) for k, v in sorted(rep.items()) if k.startswith("runs ")),
                rep["duplicate final reports"], len(rbad) - rep["duplicate final reports"]))
        log("runs skipped (import in progress): %d; failed before publishing (database or Kafka away): %d"
            % (rep["skipped runs"], rep["failed before publishing"]))
        log("duplicates: %d upserts applied beyond one per source version" % res["dup"])
        if sanitizer:
            log("sanitizer reports in: %s" % sanitizer)
        ok = settled and not bad and not rbad and not checker.violations and not sanitizer \
            and not chaos.unexpected
        if a.self_test:
            ok = ok and bool(planted)
            log("self-test: the row changed behind the pipeline's back %s (not counted above)" % (
                "was reported lost" if planted else "WAS NOT REPORTED"))
        log("RESULT: %s" % ("PASS" if ok else "FAIL"))
    finally:
        pipe.shutdown()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
