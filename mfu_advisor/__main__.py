"""``python -m mfu_advisor`` runs the command-line interface."""

from mfu_advisor.cli import main

if __name__ == "__main__":
    main()
