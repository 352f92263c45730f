#!/usr/bin/env python3
"""Revocation propagation between two authd instances sharing one Redis.

Starts a private redis-server (temp dir, free loopback port, AOF with fsync always) and two
authd processes on it (A with a bootstrap superuser), then N times: log in on A, check the
access token is valid on B, log out on A, and poll B's /auth/validate_token/ on a keep-alive
connection until it refuses the token. Prints percentiles of the delay measured from the
moment the logout request was sent and from the moment its 200 arrived. Standard library
only; every process it starts is stopped by PID.

usage: bench/propagation.py [--count 1000] [--authd build/authd] [--threads 2]
"""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

USER, PASSWORD = "propadmin", "Propagation-Bench-Pass-81"
SECRET = "propagation-bench-secret-key-0123456789abcdef"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port, path, proc, limit=15.0):
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            c.request("GET", path)
            if c.getresponse().status == 200:
                return True
        except OSError:
            pass
        time.sleep(0.05)
    return False


def post(conn, path, body, token=None):
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request("POST", path, json.dumps(body), headers)
    r = conn.getresponse()
    return r.status, r.read()


def percentile(values, p):
    v = sorted(values)
    return v[min(len(v) - 1, int(p * (len(v) - 1) + 0.5))]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--count", type=int, default=1000)
    ap.add_argument("--authd", default="build/authd")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    if not os.access(args.authd, os.X_OK):
        sys.exit(f"propagation.py: no authd binary at {args.authd} (--authd PATH)")
    redis_bin = shutil.which("redis-server") or "/usr/bin/redis-server"
    tmp = tempfile.mkdtemp(prefix="authd-propagation-")
    procs = []
    try:
        rport = free_port()
        os.makedirs(f"{tmp}/redis")
        redis = subprocess.Popen(
            [redis_bin, "--port", str(rport), "--bind", "127.0.0.1", "--dir", f"{tmp}/redis", "--save", "",
             "--appendonly", "yes", "--appendfsync", "always", "--daemonize", "no"],
            stdout=open(f"{tmp}/redis.log", "w"), stderr=subprocess.STDOUT)
        procs.append(redis)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", rport), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        ports = []
        for name in ("a", "b"):
            port = free_port()
            env = {k: v for k, v in os.environ.items() if not k.startswith("AUTHD_")}
            env.update(AUTHD_LISTEN=f"127.0.0.1:{port}", AUTHD_STORE=f"redis://127.0.0.1:{rport}",
                       AUTHD_THREADS=str(args.threads), AUTHD_SECRET_KEY=SECRET, AUTHD_LOG_LEVEL="warn")
            if name == "a":
                env.update(AUTHD_SUPERUSER_USERNAME=USER, AUTHD_SUPERUSER_EMAIL="prop@example.com",
                           AUTHD_SUPERUSER_PASSWORD=PASSWORD)
            p = subprocess.Popen([args.authd, "serve"], env=env, stdout=open(f"{tmp}/{name}.log", "w"),
                                 stderr=subprocess.STDOUT)
            procs.append(p)
            if not wait_http(port, "/readyz", p):
                sys.exit(f"authd {name} did not start: " + open(f"{tmp}/{name}.log").read()[-2000:])
            ports.append(port)
        a = http.client.HTTPConnection("127.0.0.1", ports[0], timeout=5)
        b = http.client.HTTPConnection("127.0.0.1", ports[1], timeout=5)
        from_sent, from_acked, polls = [], [], []
        for i in range(args.count):
            status, body = post(a, "/api/auth/login/", {"username": USER, "password": PASSWORD})
            if status != 200:
                sys.exit(f"login failed: {status} {body!r}")
            access = json.loads(body)["token"]
            status, _ = post(b, "/auth/validate_token/", {"token": access})
            if status != 200:
                sys.exit(f"round {i}: B does not accept a fresh token ({status})")
            sent = time.perf_counter()
            status, body = post(a, "/api/auth/logout/", {}, token=access)
            acked = time.perf_counter()
            if status != 200:
                sys.exit(f"logout failed: {status} {body!r}")
            n = 0
            while True:
                n += 1
                status, _ = post(b, "/auth/validate_token/", {"token": access})
                if status == 401:
                    break
                if time.perf_counter() - sent > 5:
                    sys.exit(f"round {i}: B still accepts the token 5 s after the logout")
            refused = time.perf_counter()
            from_sent.append((refused - sent) * 1000)
            from_acked.append((refused - acked) * 1000)
            polls.append(n)
        print(f"{args.count} logouts on A, token refused on B (two authd, AUTHD_THREADS={args.threads}, one Redis)")
        for label, values in (("from logout sent", from_sent), ("from logout answered", from_acked)):
            print(f"  {label:22s} p50 {percentile(values, 0.5):7.3f} ms  p90 {percentile(values, 0.9):7.3f} ms  "
                  f"p99 {percentile(values, 0.99):7.3f} ms  max {max(values):7.3f} ms")
        print(f"  validate polls on B until refused: first poll {sum(1 for n in polls if n == 1)}/{len(polls)}, "
              f"max {max(polls)} (each poll is one HTTP round trip, so it bounds the resolution)")
    finally:
        for p in reversed(procs):
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    p.kill()
                    p.wait()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
