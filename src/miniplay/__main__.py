"""`python -m miniplay` is the `miniplay` command."""

import sys

from miniplay.cli import main

sys.exit(main())
