import sys

from analysis.run.cli import main

sys.exit(main())
