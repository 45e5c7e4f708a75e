import sys

from secretsops.cli.main import main

sys.exit(main())
