#!/usr/bin/env python
"""Django's command-line utility for administrative tasks."""

import gc
import os
import sys


def main() -> None:
    # Start-up makes a few hundred thousand objects that live as long as the process (modules, classes, models'
    # metadata). At the default threshold (700) the collector walks them dozens of times during start-up alone,
    # about a tenth of a short command's time; at this one, a few times. Garbage is still collected.
    gc.set_threshold(50_000)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sipas.settings")
    from django.core.management import execute_from_command_line

    try:
        execute_from_command_line(sys.argv)
    finally:
        # On its way out the interpreter collects garbage again, walking every object still alive: start-up's
        # few hundred thousand, an eighth of a short command's time (70 ms of compute_index's 0.57 s; bench/
        # compute_index.py). Frozen objects are left out of that walk; the process is ending, and what it
        # wrote is already flushed or closed (files by their `with`, the database by its commit).
        gc.freeze()


if __name__ == "__main__":
    main()
