"""``python -m observe``: the command-line face of the same core."""

import sys

from observe.cli import main

sys.exit(main())
