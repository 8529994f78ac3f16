import sys

from senlib.cli import main

sys.exit(main())
