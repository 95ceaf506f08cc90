"""``python -m rempart`` is the ``rempart`` command."""

from rempart.cli import main

raise SystemExit(main())
