"""Sub-commands of ``python -m training``; each module defines ``add_parser`` and ``run``."""
