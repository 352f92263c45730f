#!/usr/bin/python3
# SMTP receiver for the integration tests (Debian's python3-aiosmtpd): stores every accepted
# message as DIR/<seq>.eml and can refuse the first N messages with 451 to exercise retries.
"""Usage: smtp_sink.py --port 0 --dir DIR [--fail-first N]

Binds 127.0.0.1, prints "PORT <n>" on stdout once listening and exits 0 on SIGTERM or SIGINT.
Each .eml starts with X-Sink-Mail-From / X-Sink-Rcpt-To header lines (the SMTP envelope),
followed by the message exactly as received. Files appear atomically (written, then renamed),
so a reader never sees half a message. DIR/rejected holds the number of 451 answers so far.
"""
import argparse
import asyncio
import os
import signal
import sys

from aiosmtpd.smtp import SMTP


class SinkHandler:
    def __init__(self, directory, fail_first):
        self.directory = directory
        self.fail_remaining = fail_first
        self.rejected = 0
        self.seq = 0

    def _write_atomically(self, name, data):
        tmp = os.path.join(self.directory, "." + name + ".tmp")
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.rename(tmp, os.path.join(self.directory, name))

    async def handle_DATA(self, server, session, envelope):
        if self.fail_remaining > 0:
            self.fail_remaining -= 1
            self.rejected += 1
            self._write_atomically("rejected", b"%d\n" % self.rejected)
            return "451 4.3.0 Temporary failure (test sink)"
        self.seq += 1
        content = envelope.original_content or envelope.content or b""
        if isinstance(content, str):
            content = content.encode("utf-8", "surrogateescape")
        head = "X-Sink-Mail-From: <%s>\r\nX-Sink-Rcpt-To: %s\r\n" % (
            envelope.mail_from, ", ".join("<%s>" % r for r in envelope.rcpt_tos))
        self._write_atomically("%d.eml" % self.seq, head.encode("utf-8") + content)
        return "250 2.0.0 OK: queued as %d" % self.seq


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--dir", required=True)
    parser.add_argument("--fail-first", type=int, default=0)
    args = parser.parse_args()
    os.makedirs(args.dir, exist_ok=True)

    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    handler = SinkHandler(args.dir, args.fail_first)
    # decode_data=False keeps the message bytes exactly as the client sent them.
    server = loop.run_until_complete(loop.create_server(
        lambda: SMTP(handler, hostname="sink.test", decode_data=False),
        host="127.0.0.1", port=args.port))
    port = server.sockets[0].getsockname()[1]
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, loop.stop)
    print("PORT %d" % port, flush=True)
    try:
        loop.run_forever()
    finally:
        server.close()
        loop.run_until_complete(server.wait_closed())
        loop.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
