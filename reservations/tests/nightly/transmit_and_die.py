"""Test-only: run ``manage.py transmit`` and kill the process for real at a chosen moment.

    python -m reservations.tests.nightly.transmit_and_die <between|inside> <N> [transmit options…]

Once N occurrences are committed, the process dies with os._exit — "between": right
after that commit (exit code 3); "inside": inside the next batch's transaction, its
changes written but not committed (exit code 4). It does so by replacing the night's
``checkpoint`` seam, a no-op in production. Started by test_transmission_kill.py.
"""
import os
import sys

import django


def main(where: str, after: int, transmit_args: list[str]) -> None:
    django.setup()
    from django.core.management import call_command

    from reservations.nightly import settle

    committed = 0

    def die_at_the_chosen_moment(phase: str, *, occurrences: int) -> None:
        nonlocal committed
        if phase == "batch_written" and where == "inside" and committed >= after:
            os._exit(4)
        if phase == "batch_committed":
            committed += occurrences
            if where == "between" and committed >= after:
                os._exit(3)

    settle.checkpoint = die_at_the_chosen_moment
    call_command("transmit", *transmit_args)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3:])
