#!/usr/bin/env python3
"""Fault injection under load against a running dev cluster (`atlantis dev up`).

While a client keeps requesting the sample through both zones' routers and a stream of scales
goes through the manager, each fault is injected in turn, in an order drawn from the seed (the same
seed replays the same run). After each one it waits until desired == actual again and checks:

  - requests: failed while the fault lasted and after it (0 for every fault that does not take
    away a router or every instance at once; for those, the failures are printed and must end
    within --recover-within seconds of what was taken away being back)
  - convergence: seconds until the rollout is whole again (every instance healthy, every router
    serving it) and the Engine runs exactly the wanted containers
  - nothing lost: the last accepted scale is what the Deploy says; every accepted apply is there,
    with its audit record, and no refused one; no duplicate instance, no orphan container, every
    container has its egress chain

It prints one table row per fault and exits 1 naming the fault, the seed and what was violated.
Used by scripts/chaos.sh (which brings the cluster up) and usable as a library: `Chaos(...).run()`.
"""
import argparse
import glob
import http.client
import json
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HOST = "sample.localhost"
ROUTERS = {"zone-a": ("127.0.0.1", 8080), "zone-b": ("127.0.0.1", 8082)}


class UnixHTTP(http.client.HTTPConnection):
    """The Engine API on its unix socket."""

    def __init__(self, path):
        super().__init__("localhost", timeout=10)
        self.path = path

    def connect(self):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(10)
        self.sock.connect(self.path)


class Cluster:
    """The dev cluster the faults act on: its agents' pid files, the CLI, the Engine, ZooKeeper."""

    def __init__(self, binary, directory, repo):
        self.binary, self.directory, self.repo = binary, directory, repo
        ensemble = os.path.exists(os.path.join(directory, "zk-dev", "2", "zoo.cfg"))
        self.zk = ",".join(f"127.0.0.1:{2181 + i}" for i in range(3 if ensemble else 1))

    def pid(self, agent):
        try:
            with open(os.path.join(self.directory, agent + ".pid")) as f:
                pid = int(f.read().strip())
            os.kill(pid, 0)
            return pid
        except (OSError, ValueError):
            return None

    def signal(self, agent, sig):
        pid = self.pid(agent)
        if pid is None:
            raise RuntimeError(f"{agent} is not running (no live pid in {self.directory}/{agent}.pid)")
        os.kill(pid, sig)
        return pid

    def up(self):
        """`atlantis dev up` starts what is missing (the agents a fault killed)."""
        out = subprocess.run([self.binary, "dev", "up", "--dir", self.directory], capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("dev up failed: " + (out.stdout + out.stderr)[-800:])

    def cli(self, *args, timeout=120):
        try:
            out = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=timeout)
            return out.returncode, out.stdout + out.stderr
        except subprocess.TimeoutExpired:
            return 124, "timed out"

    def script(self, *args):
        env = dict(os.environ, ATLANTIS_RUN=self.directory)
        return subprocess.run(["bash", os.path.join(self.repo, "scripts", args[0]), *args[1:]], env=env,
                              capture_output=True, text=True)

    def engine(self, method, path):
        conn = UnixHTTP("/var/run/docker.sock")
        try:
            conn.request(method, path)
            response = conn.getresponse()
            body = response.read()
            return response.status, (json.loads(body) if body and body[:1] in b"[{" else body)
        finally:
            conn.close()

    def engine_up(self):
        try:
            return self.engine("GET", "/_ping")[0] == 200
        except OSError:
            return False

    def containers(self, app="sample"):
        """The cluster's containers of `app`, every state."""
        flt = json.dumps({"label": [f"atlantis.app={app}"]})
        status, body = self.engine("GET", "/v1.41/containers/json?all=1&filters=" + urllib_quote(flt))
        if status != 200:
            raise RuntimeError(f"the Engine listed no containers ({status})")
        return [c for c in body if c["Labels"].get("atlantis.host", "").startswith("dev-")]

    def egress_rules(self, container_id):
        status, details = self.engine("GET", f"/v1.41/containers/{container_id}/json")
        if status != 200 or not details["State"]["Running"]:
            return None
        out = subprocess.run(["nsenter", "-t", str(details["State"]["Pid"]), "-n", "iptables", "-S"],
                             capture_output=True, text=True)
        return out.stdout

    def container_pid(self, container_id):
        status, details = self.engine("GET", f"/v1.41/containers/{container_id}/json")
        return details["State"]["Pid"] if status == 200 else 0


def urllib_quote(text):
    from urllib.parse import quote
    return quote(text, safe="")


class Load(threading.Thread):
    """Requests through every router, one at a time each, recording (time, router, status)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.results = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def one(self, zone, address):
        try:
            conn = http.client.HTTPConnection(*address, timeout=3)
            conn.request("GET", "/health", headers={"Host": HOST})
            code = conn.getresponse().status
            conn.close()
        except OSError as error:
            code = type(error).__name__
        with self.lock:
            self.results.append((time.monotonic(), zone, code))

    def run(self):
        while not self.stopping.is_set():
            for zone, address in ROUTERS.items():
                self.one(zone, address)
            time.sleep(0.01)

    def failed(self, start, end, exclude=()):
        with self.lock:
            window = [r for r in self.results if start <= r[0] < end and r[1] not in exclude]
        return sum(1 for r in window if r[2] != 200), len(window)

    def last_failure(self, start, end):
        """When the last request in [start, end) failed; None if none did."""
        with self.lock:
            times = [r[0] for r in self.results if start <= r[0] < end and r[2] != 200]
        return max(times) if times else None


class Ops(threading.Thread):
    """Scales through the manager, alternating 2 and 3 instances; remembers what was accepted."""

    def __init__(self, cluster, start_instances):
        super().__init__(daemon=True)
        self.cluster = cluster
        self.stopping = threading.Event()
        self.accepted = start_instances
        self.attempted = start_instances
        self.count = 0

    def run(self):
        while not self.stopping.is_set():
            n = 3 if self.attempted == 2 else 2
            self.attempted = n
            code, _ = self.cluster.cli("scale", "sample", "--env", "prod", "--instances", str(n), "--no-wait", timeout=20)
            if code == 0:
                self.accepted = n
                self.count += 1
            self.stopping.wait(1.5)


class Violation(Exception):
    pass


class Chaos:
    FAULTS = ["scheduler-kill", "second-scheduler", "supervisor-kill", "supervisor-pause", "sessions-expire",
              "router-kill", "manager-kill", "zookeeper-leader-kill", "zookeeper-follower-kill", "zookeeper-restart",
              "dockerd-restart", "egress-flush", "network-cut", "router-disk-full", "apply-burst"]

    # Faults that make their own writes through the manager (the stream of scales waits).
    OWN_WRITES = {"manager-kill"}

    def __init__(self, cluster, seed, zk_down=10.0, burst=60, converge_timeout=120.0, recover_within=10.0):
        self.cluster, self.seed = cluster, seed
        self.zk_down, self.burst = zk_down, burst
        self.converge_timeout, self.recover_within = converge_timeout, recover_within
        self.back = None
        self.rng = random.Random(seed)
        self.rows = []
        self.instances = 2

    # ---- faults: each returns the routers whose requests it may fail ("all" for every one)

    def fault_scheduler_kill(self):
        self.cluster.signal("scheduler", signal.SIGKILL)
        time.sleep(1)
        self.cluster.up()
        return ()

    def fault_second_scheduler(self):
        """Two schedulers at once: a second one starts, the first is killed, the second leads."""
        identity = os.path.join(self.cluster.directory, "identities", "scheduler.json")
        log = open(os.path.join(self.cluster.directory, "scheduler-2.log"), "a")
        second = subprocess.Popen([self.cluster.binary, "scheduler", "--zk", self.cluster.zk, "--id",
                                   "dev-scheduler-2", "--lost-after", "4", "--zk-identity-file", identity],
                                  stdout=log, stderr=log)
        time.sleep(2)
        self.cluster.signal("scheduler", signal.SIGKILL)
        time.sleep(3)
        self.cluster.up()
        time.sleep(1)
        second.kill()
        second.wait()
        return ()

    def fault_supervisor_kill(self):
        zone = self.rng.choice(["zone-a", "zone-b"])
        self.cluster.signal("supervisor-" + zone, signal.SIGKILL)
        time.sleep(2)
        self.cluster.up()
        return ()

    def fault_supervisor_pause(self):
        """A supervisor frozen past its session's expiry (4 s) and the scheduler's --lost-after (4 s),
        then let go: its session is gone, its instances were placed elsewhere, it removes its orphans."""
        zone = self.rng.choice(["zone-a", "zone-b"])
        self.cluster.signal("supervisor-" + zone, signal.SIGSTOP)
        time.sleep(13)
        self.cluster.signal("supervisor-" + zone, signal.SIGCONT)
        return ()

    def fault_router_kill(self):
        self.cluster.signal("router-zone-b", signal.SIGKILL)
        time.sleep(1)
        self.cluster.up()
        self.back = time.monotonic()
        return ("zone-b",)

    def fault_manager_kill(self):
        """The manager killed while a scale is in flight; the same scale run again must land."""
        n = 3 if self.instances == 2 else 2
        client = subprocess.Popen([self.cluster.binary, "scale", "sample", "--env", "prod", "--instances", str(n)],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(0.05)
        self.cluster.signal("manager", signal.SIGKILL)
        client.wait()
        self.cluster.up()
        code, out = self.cluster.cli("scale", "sample", "--env", "prod", "--instances", str(n), "--no-wait")
        if code != 0:
            raise Violation(f"the scale after the manager's restart failed: {out.strip()[-300:]}")
        self.instances = n
        return ()

    def zk_servers(self):
        """[(server id, mode)] of the cluster's ZooKeeper servers (`zk.sh status dev`)."""
        lines = self.cluster.script("zk.sh", "status", "dev").stdout.splitlines()
        return [(f[0], f[2] if len(f) > 2 else "down") for f in (line.split() for line in lines) if f]

    def zk_start(self, server):
        out = self.cluster.script("zk.sh", "start", "dev", server)
        if out.returncode != 0:
            raise Violation(f"ZooKeeper server {server} did not start again: " + out.stderr[-300:])

    def zk_kill_one(self, mode):
        servers = self.zk_servers()
        if len(servers) < 3:
            raise Violation(f"a {mode} to kill needs an ensemble (dev up --zk-ensemble); servers: {servers}")
        server = next((s for s, m in servers if m == mode), None)
        if server is None:
            raise Violation(f"no {mode} among {servers}")
        self.cluster.script("zk.sh", "kill", "dev", server)
        time.sleep(5)
        self.zk_start(server)
        return ()

    def fault_zookeeper_leader_kill(self):
        return self.zk_kill_one("leader")

    def fault_zookeeper_follower_kill(self):
        return self.zk_kill_one("follower")

    def fault_zookeeper_restart(self):
        """The whole ensemble killed, down for --zk-down seconds, started again with its data."""
        servers = [s for s, _ in self.zk_servers()] or ["1"]
        for server in servers:
            self.cluster.script("zk.sh", "kill", "dev", server)
        time.sleep(self.zk_down)
        for server in servers:
            # An ensemble's first server waits for a quorum: each is started without waiting for it.
            threading.Thread(target=self.cluster.script, args=("zk.sh", "start", "dev", server)).start()
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            if sum(1 for _, m in self.zk_servers() if m in ("leader", "follower", "standalone")) == len(servers):
                return ()
            time.sleep(0.5)
        raise Violation(f"ZooKeeper did not serve again: {self.zk_servers()}")

    def fault_sessions_expire(self):
        """Every agent but the routers frozen past its session's expiry, then let go at once."""
        agents = ["scheduler", "manager", "supervisor-zone-a", "supervisor-zone-b", "builder"]
        frozen = [a for a in agents if self.cluster.pid(a)]
        for agent in frozen:
            self.cluster.signal(agent, signal.SIGSTOP)
        time.sleep(13)
        for agent in frozen:
            self.cluster.signal(agent, signal.SIGCONT)
        return ()

    def fault_network_cut(self):
        """One instance's network cut in its namespace (every packet in dropped) for 6 s."""
        running = [c for c in self.cluster.containers() if c["State"] == "running"]
        victim = self.rng.choice(running)
        pid = str(self.cluster.container_pid(victim["Id"]))
        subprocess.run(["nsenter", "-t", pid, "-n", "iptables", "-I", "INPUT", "-j", "DROP"], check=True)
        time.sleep(6)
        # The supervisor may have restored the namespace's rules already (they differed): then
        # the DROP is gone with them.
        subprocess.run(["nsenter", "-t", pid, "-n", "iptables", "-D", "INPUT", "-j", "DROP"], capture_output=True)
        self.back = time.monotonic()
        return ("zone-a", "zone-b")

    def fault_router_disk_full(self):
        """The disk under router-zone-a's saved table full (a 64 KiB tmpfs, filled) while tables change."""
        folder = os.path.join(self.cluster.directory, "router-zone-a")
        subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", folder], check=True)
        try:
            subprocess.run(["dd", "if=/dev/zero", f"of={folder}/filler", "bs=4k"], capture_output=True)
            time.sleep(6)  # scales meanwhile: the table changes and cannot be saved
            log = open(os.path.join(self.cluster.directory, "router-zone-a.log")).read()
            if "router.table_not_saved" not in log:
                raise Violation("router-zone-a did not say that it could not save its table")
        finally:
            subprocess.run(["umount", folder], check=False)
        return ()

    def fault_dockerd_restart(self):
        """dockerd stopped (SIGTERM: its containers stop too) and started again by the scripts."""
        pid = int(subprocess.run(["pidof", "dockerd"], capture_output=True, text=True).stdout.split()[0])
        os.kill(pid, signal.SIGTERM)
        for _ in range(300):
            try:
                os.kill(pid, 0)
            except OSError:
                break
            time.sleep(0.1)
        out = self.cluster.script("docker.sh", "dockerd")
        if out.returncode != 0:
            raise Violation("dockerd did not start again: " + (out.stdout + out.stderr)[-300:])
        self.back = time.monotonic()
        return "all"

    def fault_egress_flush(self):
        """Every sample container's egress rules flushed in its namespace (as an admin's mistake)."""
        for c in self.cluster.containers():
            if c["State"] == "running":
                pid = self.cluster.container_pid(c["Id"])
                subprocess.run(["nsenter", "-t", str(pid), "-n", "iptables", "-F"], check=False)
        time.sleep(1)
        return ()

    def fault_apply_burst(self):
        """Applies through the manager, one in three malformed: every good one is stored, no bad one."""
        tag = f"{self.seed}-{len(self.rows)}"
        good, refused_wrongly, accepted_wrongly = [], [], []
        with tempfile.TemporaryDirectory() as folder:
            for i in range(self.burst):
                name = f"chaos-{tag}-{i}"
                bad = i % 3 == 2
                spec = "{endpoints: [{host: 10.0.0.1, port: 80}]}"
                if bad:
                    spec = self.rng.choice([
                        "{endpoints: [{host: 10.0.0.1, port: 80}], colour: red}",  # unknown field
                        "{endpoints: [{host: 10.0.0.1, port: 99999}]}",  # port out of range
                        "{endpoints: oops}",  # wrong type
                    ])
                path = os.path.join(folder, f"{i}.yaml")
                with open(path, "w") as f:
                    f.write(f"apiVersion: atlantis/v1\nkind: Service\nmetadata: {{name: {name}}}\nspec: {spec}\n")
                code, out = self.cluster.cli("apply", "-f", path, timeout=30)
                if bad and code == 0:
                    accepted_wrongly.append(name)
                elif not bad and code != 0:
                    refused_wrongly.append(f"{name} ({out.strip()[-120:]})")
                elif not bad:
                    good.append(name)
                if bad and code != 0 and code != 2:
                    refused_wrongly.append(f"{name}: exit {code}, not 2 (invalid)")
        code, listing = self.cluster.cli("get", "services")
        missing = [n for n in good if n not in listing]
        # Every accepted apply has its audit record, naming what it created.
        code, audit = self.cluster.cli("audit", "--since", "10m")
        unaudited = [n for n in good if f'create Service "{n}"' not in audit]
        stored_bad = [n for n in accepted_wrongly if n in listing]
        problems = []
        if missing:
            problems.append(f"accepted applies missing from ZooKeeper: {missing[:5]}")
        if accepted_wrongly:
            problems.append(f"malformed documents accepted: {accepted_wrongly[:5]} (stored: {len(stored_bad)})")
        if refused_wrongly:
            problems.append(f"applies wrongly refused: {refused_wrongly[:3]}")
        if unaudited:
            problems.append(f"accepted applies without an audit record: {unaudited[:5]}")
        if problems:
            raise Violation("; ".join(problems))
        return ()

    # ---- checks

    def converge(self, started):
        """Seconds until the rollout is whole (every router serves every instance) and the Engine
        runs exactly one container per instance, each with its egress chain. Raises what is wrong
        when it does not get there in time."""
        deadline = started + self.converge_timeout
        problem = "not looked at yet"
        while time.monotonic() < deadline:
            problem = self.difference()
            if problem is None:
                return time.monotonic() - started
            time.sleep(0.25)
        raise Violation(f"not converged after {self.converge_timeout:.0f} s: {problem}")

    def difference(self):
        code, out = self.cluster.cli("rollout", "status", "sample-prod", timeout=15)
        want = f"{self.instances}/{self.instances} healthy, 0 old"
        if code != 0 or want not in out or "every router serves it" not in out:
            return "rollout status: " + (out.strip().splitlines() or ["nothing"])[-1][:200]
        if not self.cluster.engine_up():
            return "the Engine does not answer"
        containers = self.cluster.containers()
        running = [c for c in containers if c["State"] == "running"]
        instances = [c["Labels"].get("atlantis.instance") for c in running]
        if len(set(instances)) != len(instances):
            return f"duplicate instances: {sorted(instances)}"
        if len(running) != self.instances:
            return f"{len(running)} running containers for {self.instances} instances"
        if len(containers) != len(running):
            return f"{len(containers) - len(running)} containers left behind (not running)"
        for c in running:
            rules = self.cluster.egress_rules(c["Id"]) or ""
            if "-A OUTPUT -j ATLANTIS-EGRESS" not in rules:
                return f"container {c['Names'][0]} has no egress chain"
        return None

    def deploy_instances(self):
        code, out = self.cluster.cli("get", "deploys", "sample-prod", "-o", "json")
        if code != 0:
            raise Violation("cannot read the Deploy: " + out[-200:])
        text = out[out.index("{"):]
        return json.loads(text)["spec"]["instances"]

    # ---- the run

    def run(self, faults):
        order = list(faults)
        self.rng.shuffle(order)
        print(f"chaos: seed {self.seed}, faults in order: {', '.join(order)}", flush=True)
        load = Load()
        load.start()
        time.sleep(1)
        try:
            self.instances = self.deploy_instances()
            self.converge(time.monotonic())
            for fault in order:
                self.one(fault, load)
        finally:
            load.stopping.set()
            load.join()
        self.table()
        return 0

    def one(self, fault, load):
        print(f"==> {fault}", flush=True)
        ops = Ops(self.cluster, self.instances)
        injected = time.monotonic()
        if fault not in self.OWN_WRITES:
            ops.start()
        try:
            lossy = getattr(self, "fault_" + fault.replace("-", "_"))()
            time.sleep(1)
        except Violation as violation:
            self.fail(fault, str(violation))
        finally:
            ops.stopping.set()
            if ops.is_alive():
                ops.join()
        recovered = time.monotonic()
        # Nothing lost: the last accepted scale (or, if the last attempt failed, maybe it) is stored.
        stored = self.deploy_instances()
        allowed = {ops.accepted, ops.attempted} if ops.attempted != ops.accepted else {ops.accepted}
        if fault in self.OWN_WRITES:
            allowed = {self.instances}
        if stored not in allowed:
            self.fail(fault, f"the Deploy has {stored} instances; the last accepted scale said {ops.accepted}")
        self.instances = stored
        try:
            seconds = self.converge(recovered)
        except Violation as violation:
            self.fail(fault, str(violation))
        settled = time.monotonic()
        time.sleep(2)
        exclude = tuple(ROUTERS) if lossy == "all" else lossy
        during, n_during = load.failed(injected, recovered, exclude)
        after, n_after = load.failed(recovered, settled + 2, exclude)
        lost, total = load.failed(injected, settled + 2)
        # Where failures are expected (the router or every container gone), they must end soon
        # after what was taken away is back: the seconds from then to the last failed request.
        tail = 0.0
        if exclude and self.back is not None:
            last = load.last_failure(injected, settled + 2)
            tail = max(0.0, last - self.back) if last is not None else 0.0
        self.back = None
        row = dict(fault=fault, requests=total, during=during, after=after,
                   excused=lost - during - after if exclude else 0, tail=tail, converged=seconds, scales=ops.count)
        self.rows.append(row)
        print(f"    {row['requests']} requests, {during} failed during, {after} after"
              + (f", {row['excused']} to {'every router' if lossy == 'all' else ','.join(lossy)} (expected; the last"
                 f" {tail:.1f} s after it was back)" if exclude else "")
              + f"; converged in {seconds:.1f} s; {ops.count} scales accepted", flush=True)
        if during or after:
            self.fail(fault, f"{during + after} requests failed (during {during}, after {after})")
        if tail > self.recover_within:
            self.fail(fault, f"requests still failed {tail:.1f} s after it was back (at most {self.recover_within:.0f} s)")

    def fail(self, fault, what):
        self.table()
        self.diagnose()
        print(f"chaos FAILED: fault {fault}, seed {self.seed}: {what}", file=sys.stderr, flush=True)
        raise SystemExit(1)

    def diagnose(self):
        """What a failed run leaves to read (CI keeps no cluster): the sample's containers as the
        Engine lists them, and the warnings and errors of every agent's log, last first."""
        print("\nthe Engine's containers of the sample:")
        try:
            for c in self.cluster.containers():
                labels = c["Labels"]
                print(f"    {c['Id'][:12]} {c['Names'][0]:<40} {c['State']:<10} {c['Status']:<28} "
                      f"instance {labels.get('atlantis.instance')} host {labels.get('atlantis.host')}")
        except (OSError, RuntimeError) as error:
            print(f"    (not listed: {error})")
        for log in sorted(glob.glob(os.path.join(self.cluster.directory, "*.log"))):
            with open(log, errors="replace") as f:
                lines = [line.rstrip() for line in f if " warning " in line or " error " in line]
            if lines:
                print(f"\n{os.path.basename(log)}: {len(lines)} warnings and errors, the last 25:")
                for line in lines[-25:]:
                    print("    " + line[:400])
        sys.stdout.flush()

    def table(self):
        print()
        print(f"{'FAULT':<24} {'REQUESTS':>8} {'FAILED':>6} {'AFTER':>5} {'EXPECTED':>8} {'TAIL':>6} "
              f"{'CONVERGED':>9} {'SCALES':>6}")
        for r in self.rows:
            print(f"{r['fault']:<24} {r['requests']:>8} {r['during']:>6} {r['after']:>5} {r['excused']:>8} "
                  f"{r['tail']:>5.1f}s {r['converged']:>8.1f}s {r['scales']:>6}")
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", required=True, help="the atlantis binary")
    parser.add_argument("--dir", required=True, help="the dev cluster's folder (atlantis dev up --dir)")
    parser.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    parser.add_argument("--seed", type=int, default=int(time.time()) % 100000)
    parser.add_argument("--faults", default=",".join(Chaos.FAULTS), help="comma-separated, from: " + ", ".join(Chaos.FAULTS))
    parser.add_argument("--rounds", type=int, default=1, help="times through the faults (each round reshuffled)")
    parser.add_argument("--duration", default=None,
                        help="keep going round after round until this much time has passed (30m, 2h); overrides --rounds")
    parser.add_argument("--zk-down", type=float, default=10.0, help="seconds ZooKeeper stays down")
    parser.add_argument("--burst", type=int, default=60, help="applies in the burst (one in three malformed)")
    parser.add_argument("--recover-within", type=float, default=10.0,
                        help="seconds after a router or dockerd is back by which requests must succeed again")
    args = parser.parse_args()
    faults = [f for f in args.faults.split(",") if f]
    unknown = [f for f in faults if f not in Chaos.FAULTS]
    if unknown:
        parser.error(f"unknown faults {unknown}; known: {', '.join(Chaos.FAULTS)}")
    chaos = Chaos(Cluster(args.bin, args.dir, args.repo), args.seed, zk_down=args.zk_down, burst=args.burst,
                  recover_within=args.recover_within)
    if args.duration:
        unit = {"s": 1, "m": 60, "h": 3600}[args.duration[-1]]
        end = time.monotonic() + float(args.duration[:-1]) * unit
        while time.monotonic() < end:
            chaos.run(faults)
    else:
        for _ in range(args.rounds):
            chaos.run(faults)
    print(f"chaos passed: seed {args.seed}, {len(chaos.rows)} faults, no violation")


if __name__ == "__main__":
    main()
