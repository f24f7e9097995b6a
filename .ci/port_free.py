"""`make run` checks its port before migrating: a clear message now beats runserver's error later.

Usage: python .ci/port_free.py PORT — exits 0 when 127.0.0.1:PORT is free, 1 (and says what to do) when not.
"""
import socket
import sys


def port_taken(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Like runserver: a port left in TIME_WAIT by a server just stopped is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def main(argv: list[str]) -> int:
    try:
        port = int(argv[1])
        if not 1 <= port <= 65535:
            raise ValueError
    except (IndexError, ValueError):
        print(f"PORT must be a number between 1 and 65535 (got {argv[1:]!r}), e.g. make run PORT=8001", file=sys.stderr)
        return 2
    if port_taken(port):
        print(f"Port {port} is already in use on 127.0.0.1 (another `make run`, or another program).\n"
              f"Stop that program, or start on another port: make run PORT={port + 1 if port < 65535 else 8001}",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
