"""Entry point for `python -m tui_crm`."""

from tui_crm.cli import main

raise SystemExit(main())
