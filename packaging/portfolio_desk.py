"""The frozen app's entry script: the bundle starts exactly like the ``portfolio-desk`` launcher.

PyInstaller runs this file as ``__main__``; everything else (flags, ``--self-test``, the data
dir, logging) is :func:`desktop_app.app.main`.
"""

import sys

from desktop_app.app import main

if __name__ == "__main__":
    sys.exit(main())
