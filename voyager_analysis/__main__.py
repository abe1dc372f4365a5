import sys

from voyager_analysis.cli import main

sys.exit(main())
