"""`python -m lstmsym.cli`: the same as the lstmsym console script."""

import sys

from .main import main

sys.exit(main())
