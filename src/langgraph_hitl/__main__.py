"""`python -m langgraph_hitl`: the same command line as `langgraph-hitl`."""

import sys

from ._cli import main

sys.exit(main())
