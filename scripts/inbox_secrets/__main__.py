"""`python -m inbox_secrets` (what `make secrets` runs)."""

import sys

from inbox_secrets.cli import main

sys.exit(main())
