"""python -m civdata: the command line."""

import sys

from civdata.cli import main

sys.exit(main())
