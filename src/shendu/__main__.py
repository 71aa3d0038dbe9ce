"""`python -m shendu` runs the CLI."""

from shendu.cli import main

main()
