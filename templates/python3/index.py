"""Sigil's python3 watchdog: runs one request through the user's handler.py.

The classic OpenFaaS python3 template contract, kept as is so its functions run unchanged:
the request body arrives on stdin and is passed to ``handle(req)`` as a string; the request
headers are in the environment as ``Http_<Header_Name>`` (``Http_Hmac``, ``Http_Method``,
``Http_Path``, ``Http_Query``); whatever ``handle`` returns is printed to stdout (``print`` adds
a newline, as the template does) and becomes the response body. A raised exception exits with
status 1, which Sigil answers with 500 and the output, as the classic watchdog does.

Sigil runs this file with the function's code folder (the deployed ``handler.py`` and whatever
is vendored next to it) as the working directory. Secrets are files in ``$SIGIL_SECRETS_DIR``.
"""

import os
import sys


def main():
    # The code folder first on sys.path: `import handler` is the user's module, and packages
    # vendored with `pip install --target .` import as if installed.
    sys.path.insert(0, os.getcwd())
    import handler  # noqa: E402 -- the path above must be set first

    # Bytes in, text out: surrogateescape keeps bodies that are not UTF-8 round-trippable
    # instead of failing before the handler runs.
    req = sys.stdin.buffer.read().decode("utf-8", errors="surrogateescape")
    ret = handler.handle(req)
    if ret is None:
        return
    if isinstance(ret, (bytes, bytearray)):
        # Bytes are the exact body: no newline added.
        sys.stdout.flush()
        sys.stdout.buffer.write(ret)
        return
    sys.stdout.flush()
    sys.stdout.buffer.write(str(ret).encode("utf-8", errors="surrogateescape") + b"\n")


if __name__ == "__main__":
    main()
