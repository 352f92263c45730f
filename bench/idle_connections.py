#!/usr/bin/python3
# Memory cost of idle keep-alive connections: opens N connections to authd, one GET /healthz on
# each, leaves them idle and reports the growth of the server's resident set (VmRSS).
"""Usage: /usr/bin/python3 bench/idle_connections.py --port P --pid PID [--connections N]

Stdlib only. Raises its own RLIMIT_NOFILE to fit N sockets (as root it may also raise the hard
limit). authd raises its own soft RLIMIT_NOFILE to the hard limit at start; the server's limit
is printed so a too-low one is visible. Kernel socket buffers are not part of VmRSS: the figure
is what authd itself keeps per connection (connection state, buffers it holds).
"""
import argparse
import resource
import selectors
import socket
import sys
import time

REQUEST = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def rss_kib(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS for pid %d" % pid)


def open_files_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                return line.split()[3]
    return "?"


def raise_nofile(wanted):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= wanted:
        return soft
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, max(hard, wanted)))
        return wanted
    except (ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard


def response_complete(data):
    """True once `data` holds one whole response with a Content-Length body."""
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    length = 0
    for line in data[:head_end].split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    return len(data) >= head_end + 4 + length


def open_batch(port, count, timeout):
    """Connects `count` sockets, sends one request on each, waits for every answer."""
    sel = selectors.DefaultSelector()
    ready, failed = [], 0
    for _ in range(count):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(("127.0.0.1", port))
            s.sendall(REQUEST)
            s.setblocking(False)
            sel.register(s, selectors.EVENT_READ, bytearray())
        except OSError:
            s.close()
            failed += 1
    deadline = time.monotonic() + timeout
    while sel.get_map() and time.monotonic() < deadline:
        for key, _ in sel.select(timeout=max(0.0, deadline - time.monotonic())):
            chunk = key.fileobj.recv(65536)
            key.data.extend(chunk)
            if not chunk or response_complete(key.data):
                sel.unregister(key.fileobj)
                if chunk and key.data.startswith(b"HTTP/1.1 200"):
                    ready.append(key.fileobj)
                else:
                    key.fileobj.close()
                    failed += 1
    for key in list(sel.get_map().values()):  # no answer in time
        sel.unregister(key.fileobj)
        key.fileobj.close()
        failed += 1
    return ready, failed


def count_closed(socks):
    """Connections the server closed meanwhile (readable at EOF) — idle ones must stay open."""
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed = len(sel.select(timeout=0))
    sel.close()
    return closed


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--pid", type=int, required=True, help="authd's process id (for VmRSS)")
    parser.add_argument("--connections", type=int, default=10000)
    parser.add_argument("--batch", type=int, default=250, help="connections opened at once")
    parser.add_argument("--settle", type=float, default=1.0, help="seconds before measuring")
    parser.add_argument("--hold", type=float, default=0.0, help="extra seconds to stay idle")
    args = parser.parse_args()

    limit = raise_nofile(args.connections + 64)
    if limit < args.connections + 64:
        print("warning: RLIMIT_NOFILE is %d; opening only %d connections"
              % (limit, limit - 64), file=sys.stderr)
        args.connections = limit - 64
    print("authd pid %d, its open-files limit: %s" % (args.pid, open_files_limit(args.pid)))

    warm, _ = open_batch(args.port, 1, 10.0)  # first request: lazily built state exists
    for s in warm:
        s.close()
    time.sleep(args.settle)
    before = rss_kib(args.pid)

    socks, failed = [], 0
    started = time.monotonic()
    while len(socks) + failed < args.connections:
        batch, bad = open_batch(args.port, min(args.batch, args.connections - len(socks) - failed),
                                30.0)
        socks += batch
        failed += bad
    opened_in = time.monotonic() - started
    time.sleep(args.settle + args.hold)
    after = rss_kib(args.pid)
    closed = count_closed(socks)

    for s in socks:
        s.close()
    time.sleep(args.settle)
    released = rss_kib(args.pid)

    growth = after - before
    print("connections:   %d open and idle (%d failed) in %.2f s; %d closed by the server "
          "while idle" % (len(socks), failed, opened_in, closed))
    print("server VmRSS:  %d KiB before, %d KiB with the connections idle, %d KiB after closing"
          % (before, after, released))
    per_conn = growth * 1024.0 / len(socks) if socks else 0.0
    print("growth:        %d KiB total, %.0f bytes per idle connection" % (growth, per_conn))
    return 0 if socks and failed == 0 and closed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
