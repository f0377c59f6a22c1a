# The chaos matrix's pipeline: source, stand-in, broker, proxies, sandboxes, daemons.
"""Starts and restarts every part of the pipeline the fault matrix runs.

The source is an SQLite file behind retl-mssql-standin; a writer thread keeps
changing it through the stand-in's SQL (tsql). Toxiproxy, when present, sits
between the extractor and the stand-in, between every daemon and the broker
(the broker advertises the proxy's port) and between the uploaders and each
sandbox. Nothing here injects a fault: chaos.py does.
"""
import json
import os
import random
import signal
import socket
import sqlite3
import subprocess
import threading
import time
import urllib.request

NWS = 2                 # workspaces, one `retl sandbox` each
OVERLAP = 1             # seconds, the syncs' overlap
DB_PASSWORD = "chaos-Pw1"
API_KEY = "chaos-key"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def http(method, url, body=None, timeout=10):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(url, data=data, method=method)
    with urllib.request.urlopen(req, timeout=timeout) as r:
        txt = r.read()
    return json.loads(txt) if txt.strip() else None


def wait_for(what, secs, fn):
    end = time.time() + secs
    while True:
        try:
            if fn():
                return
        except Exception:
            pass
        if time.time() > end:
            raise RuntimeError("timed out after %ds waiting for %s" % (secs, what))
        time.sleep(0.2)


class Toxiproxy:
    """The Toxiproxy server and its proxies (None-safe: absent = direct links)."""

    def __init__(self, binary, workdir):
        self.port = free_port()
        self.log = open(os.path.join(workdir, "toxiproxy.log"), "ab")
        self.proc = subprocess.Popen([binary, "-host", "127.0.0.1", "-port", str(self.port)],
                                     stdout=self.log, stderr=self.log)
        self.api = "http://127.0.0.1:%d" % self.port
        wait_for("toxiproxy", 30, lambda: http("GET", self.api + "/version") is not None or True)
        self.proxies = {}

    def proxy(self, name, upstream_port):
        listen = free_port()
        http("POST", self.api + "/proxies", {"name": name, "listen": "127.0.0.1:%d" % listen,
                                             "upstream": "127.0.0.1:%d" % upstream_port,
                                             "enabled": True})
        self.proxies[name] = listen
        return listen

    def add(self, proxy, kind, attrs, stream="downstream"):
        name = "%s_%s_%s" % (proxy, kind, stream)
        http("POST", "%s/proxies/%s/toxics" % (self.api, proxy),
             {"name": name, "type": kind, "stream": stream, "toxicity": 1.0, "attributes": attrs})
        return name

    def remove(self, proxy, name):
        try:
            http("DELETE", "%s/proxies/%s/toxics/%s" % (self.api, proxy, name))
        except Exception:
            pass

    def clear(self):
        for p in self.proxies:
            for t in http("GET", "%s/proxies/%s/toxics" % (self.api, p)) or []:
                self.remove(p, t["name"])

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Pipeline:
    def __init__(self, root, workdir, retl, standin, toxiproxy_bin, rng, log):
        self.root, self.w, self.retl, self.standin_bin = root, workdir, retl, standin
        self.rng, self.log = rng, log
        self.env = dict(os.environ, RETL_CHAOS_DB_PASSWORD=DB_PASSWORD,
                        RETL_CHAOS_API_KEY=API_KEY, TDSVER="7.4")
        self.tox = Toxiproxy(toxiproxy_bin, workdir) if toxiproxy_bin else None
        self.db = os.path.join(workdir, "src.sqlite")
        self.cfg = os.path.join(workdir, "retl.cfg")
        self.kafka_run = os.path.join(workdir, "kafka")
        self.standin = None
        self.extractor = None
        self.uploaders = {}
        self.sandboxes = []
        self.next_ids = {}
        self.lock = threading.Lock()   # one fault or restart at a time on a process
        self.writer_stop = threading.Event()
        self.writes = {"batches": 0, "failed": 0}

    # ------------------------------------------------------------ the source
    def make_source(self, people, companies, links):
        con = sqlite3.connect(self.db)
        now = int(time.time()) - 10
        for w in range(1, NWS + 1):
            con.executescript("""
CREATE TABLE people_w{w}(id INT PRIMARY KEY, email NVARCHAR(100), gen INT, note NVARCHAR(200), updated BIGINT);
CREATE TABLE companies_w{w}(id NVARCHAR(20) PRIMARY KEY, name NVARCHAR(100), gen INT, updated BIGINT);
CREATE TABLE links_w{w}(person_id INT, company_id NVARCHAR(20), role NVARCHAR(40), rgen INT,
                        deleted BIT, updated BIGINT, PRIMARY KEY(person_id, company_id));
""".format(w=w))
            con.executemany("INSERT INTO people_w%d VALUES(?,?,1,?,?)" % w,
                            [(i, "w%d-p%d@example.com" % (w, i), "row %d" % i, now)
                             for i in range(1, people + 1)])
            con.executemany("INSERT INTO companies_w%d VALUES(?,?,1,?)" % w,
                            [("c%d" % i, "Company %d" % i, now) for i in range(1, companies + 1)])
            pairs = set()
            while len(pairs) < links:
                pairs.add((self.rng.randint(1, people), "c%d" % self.rng.randint(1, companies)))
            con.executemany("INSERT INTO links_w%d VALUES(?,?,'member',1,0,?)" % w,
                            [(p, c, now) for p, c in sorted(pairs)])
            self.next_ids[w] = (people + 1, companies + 1)
        con.commit()
        con.close()
        self.sizes = (people, companies)

    def start_standin(self, port=None):
        port = port or getattr(self, "standin_port", 0) or free_port()
        self.standin_port = port
        log = open(os.path.join(self.w, "standin.log"), "ab")
        pf = os.path.join(self.w, "standin.port")
        if os.path.exists(pf):
            os.unlink(pf)
        self.standin = subprocess.Popen(
            [self.standin_bin, "--listen", "127.0.0.1:%d" % port, "--db", self.db,
             "--database", "crm", "--user", "retl", "--password-env", "RETL_CHAOS_DB_PASSWORD",
             "--port-file", pf], stdout=log, stderr=log, env=self.env)
        wait_for("the stand-in", 30, lambda: os.path.exists(pf) and os.path.getsize(pf) > 0)

    def tsql(self, statements, timeout=20):
        """Runs statements through the stand-in (directly, not through the proxy)."""
        text = "".join("%s\ngo\n" % s for s in statements) + "exit\n"
        try:
            r = subprocess.run(["tsql", "-H", "127.0.0.1", "-p", str(self.standin_port),
                                "-U", "retl", "-P", DB_PASSWORD, "-D", "crm"],
                               input=text.encode(), capture_output=True, timeout=timeout,
                               env=self.env)
            return r.returncode == 0 and b"Msg " not in r.stdout + r.stderr
        except subprocess.TimeoutExpired:
            return False

    NOW = "DATEDIFF(second, '1970-01-01', SYSUTCDATETIME())"

    def writer_batch(self, rng):
        """A few inserts and updates on one workspace's tables."""
        w = rng.randint(1, NWS)
        np_, nc = self.next_ids[w]
        s = []
        for _ in range(rng.randint(1, 4)):
            s.append("UPDATE people_w%d SET gen = gen + 1, note = 'note %d', updated = %s WHERE id = %d"
                     % (w, rng.randint(0, 10 ** 6), self.NOW, rng.randint(1, np_ - 1)))
        if rng.random() < 0.5:
            s.append("INSERT INTO people_w%d(id, email, gen, note, updated) VALUES(%d, 'w%d-p%d@example.com', 1, 'new', %s)"
                     % (w, np_, w, np_, self.NOW))
            np_ += 1
        if rng.random() < 0.3:
            s.append("UPDATE companies_w%d SET gen = gen + 1, name = 'Company v%d', updated = %s WHERE id = 'c%d'"
                     % (w, rng.randint(0, 10 ** 6), self.NOW, rng.randint(1, nc - 1)))
        if rng.random() < 0.1:
            s.append("INSERT INTO companies_w%d(id, name, gen, updated) VALUES('c%d', 'Company %d', 1, %s)"
                     % (w, nc, nc, self.NOW))
            nc += 1
        r = rng.random()
        pid, cid = rng.randint(1, np_ - 1), "c%d" % rng.randint(1, nc - 1)
        if r < 0.4:
            # only between a person and a company the source has: an insert
            # above may have failed (the stand-in killed under it)
            s.append("INSERT INTO links_w%d(person_id, company_id, role, rgen, deleted, updated)"
                     " SELECT p.id, c.id, 'member', 1, 0, %s FROM people_w%d p, companies_w%d c"
                     " WHERE p.id = %d AND c.id = '%s'" % (w, self.NOW, w, w, pid, cid))
        elif r < 0.8:
            s.append("UPDATE links_w%d SET rgen = rgen + 1, role = '%s', deleted = %s, updated = %s "
                     "WHERE person_id = %d" % (w, rng.choice(["member", "admin", "owner"]),
                                               "1" if rng.random() < 0.3 else "0", self.NOW, pid))
        self.next_ids[w] = (np_, nc)
        return s

    def writer(self, seed):
        rng = random.Random(seed)
        while not self.writer_stop.is_set():
            ok = self.tsql(self.writer_batch(rng))
            self.writes["batches"] += 1
            if not ok:
                self.writes["failed"] += 1
            self.writer_stop.wait(rng.uniform(0.2, 0.6))

    # ------------------------------------------------------------ broker
    def broker(self, *args):
        env = dict(os.environ)
        if self.tox:
            env["RETL_KAFKA_ADVERTISED_PORT"] = str(self.kafka_proxy_port)
        r = subprocess.run([os.path.join(self.root, "tests/kafka/broker.sh"), *args, self.kafka_run],
                           capture_output=True, text=True, env=env)
        if r.returncode:
            raise RuntimeError("broker.sh %s: %s" % (args[0], r.stderr[-2000:]))
        return r.stdout.strip()

    def start_broker(self):
        if self.tox:
            # the proxy's port is fixed before the broker advertises it
            self.kafka_proxy_port = free_port()
        addr = self.broker("start")
        self.broker_port = int(addr.rsplit(":", 1)[1])
        if self.tox:
            http("POST", self.tox.api + "/proxies",
                 {"name": "kafka", "listen": "127.0.0.1:%d" % self.kafka_proxy_port,
                  "upstream": addr, "enabled": True})
            self.tox.proxies["kafka"] = self.kafka_proxy_port
            self.kafka_addr = "127.0.0.1:%d" % self.kafka_proxy_port
        else:
            self.kafka_addr = addr

    def kill_broker(self):
        pid = int(open(os.path.join(self.kafka_run, "broker.pid")).read())
        os.killpg(pid, signal.SIGKILL)
        try:
            os.waitpid(pid, 0)
        except ChildProcessError:
            pass
        wait_for("the broker to die", 30, lambda: not os.path.exists("/proc/%d" % pid)
                 or open("/proc/%d/stat" % pid).read().split()[2] == "Z")
        os.unlink(os.path.join(self.kafka_run, "broker.pid"))

    def restart_broker(self):
        self.broker("restart")

    def stop_broker(self):
        subprocess.run([os.path.join(self.root, "tests/kafka/broker.sh"), "stop", self.kafka_run],
                       capture_output=True)

    # ------------------------------------------------------------ sandboxes
    def start_sandboxes(self):
        for w in range(1, NWS + 1):
            pf = os.path.join(self.w, "sbx%d.port" % w)
            log = open(os.path.join(self.w, "sbx%d.log" % w), "ab")
            p = subprocess.Popen([self.retl, "sandbox", "--listen", "127.0.0.1:0", "--port-file", pf,
                                  "--site-id", "site-w%d" % w, "--api-key-env", "RETL_CHAOS_API_KEY",
                                  "--identifiers", "id", "--threads", "2"],
                                 stdout=log, stderr=log, env=self.env)
            wait_for("sandbox w%d" % w, 30, lambda: os.path.exists(pf) and os.path.getsize(pf) > 0)
            self.sandboxes.append((p, int(open(pf).read())))

    def sbx(self, w):
        return "http://127.0.0.1:%d" % self.sandboxes[w - 1][1]

    # ------------------------------------------------------------ configuration
    def write_config(self):
        db_port = self.tox.proxy("db", self.standin_port) if self.tox else self.standin_port
        ws, syncs = [], []
        for w in range(1, NWS + 1):
            port = self.tox.proxy("sbx%d" % w, self.sandboxes[w - 1][1]) if self.tox \
                else self.sandboxes[w - 1][1]
            ws.append('{ name = "w%d"; api_url = "http://127.0.0.1:%d"; site_id = "site-w%d";'
                      ' api_key_env = "RETL_CHAOS_API_KEY"; max_in_flight = 2; timeout = 5; }'
                      % (w, port, w))
            syncs.append(
                '{ name = "people-w%d"; workspace = "w%d"; database = "src"; import = "people";'
                ' identify_by = "id"; interval = "3s"; overlap = "%ds"; suppressed = "fail";'
                ' query = "SELECT id, email, gen, note FROM people_w%d'
                ' WHERE updated > {{last_sync_time}} ORDER BY id";'
                ' relationship_query = "SELECT person_id AS id, company_id AS object_id, role, rgen,'
                ' deleted FROM links_w%d WHERE updated > {{last_sync_time}}"; }'
                % (w, w, OVERLAP, w, w))
            syncs.append(
                '{ name = "companies-w%d"; workspace = "w%d"; database = "src"; import = "objects";'
                ' object_type_id = "1"; interval = "3s"; overlap = "%ds";'
                ' query = "SELECT id AS object_id, name, gen FROM companies_w%d'
                ' WHERE updated > {{last_sync_time}}"; }' % (w, w, OVERLAP, w))
        with open(self.cfg, "w") as f:
            f.write("""log_level = "info";
kafka = { brokers = "%s"; replication_factor = 1; topic_prefix = "chaos."; state_topic_prefix = "chaos-state.";
          group = "g-chaos"; imports_topic = "chaos-imports"; failures_topic = "chaos-failures";
          timeout = "10s";
          properties = { session_timeout_ms = 6000; heartbeat_interval_ms = 500;
                         topic_metadata_refresh_interval_ms = 1000; }; };
databases = ({ name = "src"; host = "127.0.0.1"; port = %d; database = "crm"; user = "retl";
               password_env = "RETL_CHAOS_DB_PASSWORD"; encryption = "off"; login_timeout = 5;
               query_timeout = 30; });
workspaces = (
  %s
);
syncs = (
  %s
);
""" % (self.kafka_addr, db_port, ",\n  ".join(ws), ",\n  ".join(syncs)))
        r = subprocess.run([self.retl, "config", "-c", self.cfg], capture_output=True, text=True,
                           env=self.env)
        if r.returncode:
            raise RuntimeError("retl config: " + r.stderr)

    # ------------------------------------------------------------ daemons
    def start_extractor(self):
        log = open(os.path.join(self.w, "extract.log"), "ab")
        log.write(("=== extractor start %s\n" % time.strftime("%FT%TZ", time.gmtime())).encode())
        log.flush()
        self.extractor = subprocess.Popen([self.retl, "extract", "-c", self.cfg],
                                          stdout=log, stderr=log, env=self.env)

    def start_uploader(self, n):
        log = open(os.path.join(self.w, "u%d.log" % n), "ab")
        self.uploaders[n] = subprocess.Popen(
            [self.retl, "upload", "-c", self.cfg, "--client-id", "u%d" % n,
             "--checkpoint-rows", "100", "--checkpoint-interval", "1", "--batch-bytes", "40000"],
            stdout=log, stderr=log, env=self.env)

    @staticmethod
    def stop(proc, sig, grace=30):
        """Signals proc and reaps it; a SIGTERM not obeyed within grace is a -9 (returned)."""
        proc.send_signal(sig)
        try:
            return proc.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
            return "did not exit within %ds of SIGTERM" % grace

    def retl_json(self, *args, timeout=30):
        r = subprocess.run([self.retl, *args, "-c", self.cfg], capture_output=True, text=True,
                           timeout=timeout, env=self.env)
        if r.returncode:
            raise RuntimeError("retl %s: %s" % (args[0], r.stderr[-500:]))
        return r.stdout

    def status(self):
        return json.loads(self.retl_json("status", "--json", "--limit", "3"))

    def shutdown(self):
        self.writer_stop.set()
        for p in [self.extractor, *self.uploaders.values()]:
            if p and p.poll() is None:
                self.stop(p, signal.SIGTERM, 20)
        for p, _ in self.sandboxes:
            if p.poll() is None:
                self.stop(p, signal.SIGTERM, 20)
        if self.standin and self.standin.poll() is None:
            self.stop(self.standin, signal.SIGTERM, 20)
        self.stop_broker()
        if self.tox:
            self.tox.stop()
