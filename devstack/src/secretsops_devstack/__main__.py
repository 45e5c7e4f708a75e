"""``python -m secretsops_devstack``: the demo, as the ``secretsops-demo`` console script runs it."""

import sys

from secretsops_devstack.cli import main

sys.exit(main())
