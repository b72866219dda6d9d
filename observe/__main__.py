"""``python -m observe``: the command-line face of the same core."""

import sys

from observe.cli import main
from observe.governance.files import owner_only_umask

owner_only_umask()  # the database, videos and exports it writes are the owner's only (observe.governance.files)
sys.exit(main())
