"""``python -m gateway`` is the same as the ``frontline`` command."""

from gateway.cli import main

main()
