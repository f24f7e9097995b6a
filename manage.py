#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""
import os
import sys


def main():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
    # A developer's shell with nothing configured gets development settings. A production
    # environment always sets SECRET_KEY, so it keeps DEBUG off (and its checks) even if
    # DEBUG=0 was forgotten; the web, worker and beat processes never take this default.
    if "DEBUG" not in os.environ and "SECRET_KEY" not in os.environ:
        os.environ["DEBUG"] = "1"
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
