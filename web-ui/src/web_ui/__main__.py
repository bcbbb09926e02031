"""`python -m web_ui` runs the `web-ui` command."""

import sys

from web_ui.cli import main

sys.exit(main())
