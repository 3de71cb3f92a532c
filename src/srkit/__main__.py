"""``python -m srkit`` runs the command line."""

import sys

from srkit.cli.main import main

sys.exit(main())
