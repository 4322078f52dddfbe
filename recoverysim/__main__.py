"""``python -m recoverysim`` is the ``recoverysim`` command."""

import sys

from recoverysim.cli import main

sys.exit(main())
