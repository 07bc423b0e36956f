"""`python -m langgraph_hitl`: the same command line as `langgraph-hitl`."""

import sys

from .cli._main import main

sys.exit(main())
