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

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
