"""Sigil's warm Python host: one long-lived interpreter per function instance.

It imports the function's module once, then serves invocations over length-prefixed JSON
frames on fd 3 (a pipe to the gateway), the protocol the Node host speaks (frames.ts,
worker-protocol.ts): a 4-byte big-endian length, then UTF-8 JSON. The first frame from the
gateway is the boot description; every later one a batch of invocations. The host answers with
batches: ``ready`` (or ``startFailed`` with the traceback), then one ``done`` per invocation.

Two contracts (argv[1]):

- ``openfaas``: OpenFaaS's python3 template, ``handle(req)`` of ``handler.py``. The event is
  ``{"body": base64, "env": {...}}``: the body becomes a ``str`` (surrogateescape keeps bytes
  that are not UTF-8), ``env`` (``Http_*`` and the function's variables, built by the gateway as
  the classic watchdog does) is the whole ``os.environ`` while it runs. The return value is the
  answer: ``str`` printed with a newline as the template's ``print`` did, ``bytes`` as they are,
  ``None`` nothing.
- ``lambda``: Lambda's ``handler(event, context)``; the event is the JSON the gateway sent (a
  function URL event, or the Invoke payload), the result is serialised as JSON.

``print()`` and ``sys.stderr`` belong to the invocation that runs: they are captured per
invocation and sent back with its answer (one invocation at a time per instance, as Lambda).
Output outside any invocation (module import, threads) goes back as background log.

This file runs inside the function's sandbox and imports only the standard library.
"""

import base64
import io
import json
import os
import resource
import struct
import sys
import time
import traceback

PROTOCOL_FD = 3
# Frames from the gateway are Sigil's own; this bound only stops a confused peer.
MAX_FRAME_BYTES = 64 * 1024 * 1024
# Captured output kept per invocation (the gateway bounds the record again at 64 KB).
MAX_LOG_CHARS = 128 * 1024


def read_exact(n):
    chunks = []
    while n > 0:
        chunk = os.read(PROTOCOL_FD, min(n, 1 << 20))
        if not chunk:
            return None
        chunks.append(chunk)
        n -= len(chunk)
    return b"".join(chunks)


def read_frame():
    head = read_exact(4)
    if head is None:
        return None
    (length,) = struct.unpack(">I", head)
    if length > MAX_FRAME_BYTES:
        raise ValueError("frame over the limit")
    body = read_exact(length)
    if body is None:
        return None
    return json.loads(body.decode("utf-8"))


def write_frame(batch):
    # ASCII-only JSON: a lone surrogate (a body byte that is not UTF-8) travels as an escape.
    body = json.dumps(batch, separators=(",", ":")).encode("ascii")
    data = struct.pack(">I", len(body)) + body
    view = memoryview(data)
    while view:
        written = os.write(PROTOCOL_FD, view)
        view = view[written:]


class Capture(io.TextIOBase):
    """sys.stdout / sys.stderr of the function: text goes to the running invocation's log."""

    def __init__(self, sink, fd):
        super().__init__()
        self._sink = sink
        self._fd = fd

    @property
    def encoding(self):
        return "utf-8"

    def writable(self):
        return True

    def write(self, text):
        if not isinstance(text, str):
            raise TypeError("write() argument must be str, not " + type(text).__name__)
        self._sink.append(text)
        return len(text)

    def fileno(self):
        # Code asking for the real descriptor (faulthandler, a subprocess's output) gets the
        # process's own stream, which the gateway reads as background log.
        return self._fd


class LogSink:
    """Output of the invocation running now, or background output between invocations."""

    def __init__(self):
        self.current = None
        self.size = 0
        self.cut = False
        self.background = []
        self.background_size = 0

    def begin(self):
        self.current = []
        self.size = 0
        self.cut = False

    def end(self):
        text = "".join(self.current or [])
        if self.cut:
            text += "\n[sigil: output cut at %d characters]\n" % MAX_LOG_CHARS
        self.current = None
        return text

    def append(self, text):
        if self.current is None:
            # Between invocations (a thread printing on): bounded like an invocation's output.
            if self.background_size < MAX_LOG_CHARS:
                text = text[: MAX_LOG_CHARS - self.background_size]
                self.background.append(text)
                self.background_size += len(text)
            return
        if self.cut:
            return
        room = MAX_LOG_CHARS - self.size
        if len(text) > room:
            text = text[:room]
            self.cut = True
        self.current.append(text)
        self.size += len(text)

    def take_background(self):
        text = "".join(self.background)
        self.background = []
        self.background_size = 0
        return text


class Context:
    """Lambda's context object for Python (the attributes AWS documents)."""

    def __init__(self, boot, request_id, deadline_ms, client_context):
        self.aws_request_id = request_id
        self.function_name = boot.get("functionName", "")
        self.function_version = os.environ.get("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        self.invoked_function_arn = boot.get("invokedFunctionArn", "")
        self.memory_limit_in_mb = str(boot.get("memoryMb", ""))
        self.log_group_name = "/aws/lambda/" + self.function_name
        self.log_stream_name = "sigil"
        self.identity = None
        self.client_context = client_context
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))


def error_info(exc):
    frames = traceback.extract_tb(exc.__traceback__)
    # The host's own frame (the call into the handler) is Sigil's, not the function's.
    own = [f for f in frames if os.path.abspath(f.filename) != os.path.abspath(__file__)]
    return {
        "errorType": "Runtime.MarshalError" if isinstance(exc, MarshalError) else type(exc).__name__,
        "errorMessage": str(exc),
        "trace": [line for line in traceback.format_list(own)],
    }


def format_exception(exc):
    info = error_info(exc)
    return "Traceback (most recent call last):\n%s%s: %s\n" % (
        "".join(info["trace"]),
        info["errorType"],
        info["errorMessage"],
    )


def load(entry):
    module_name, _, func_name = entry.rpartition(".")
    # The code folder first on sys.path: packages vendored with `pip install --target .` and
    # modules beside the handler import as if installed.
    sys.path.insert(0, os.getcwd())
    module = __import__(module_name.replace("/", "."), fromlist=["_"])
    func = getattr(module, func_name, None)
    if not callable(func):
        raise AttributeError(
            "handler %s: module %s has no function %s" % (entry, module_name, func_name)
        )
    return func


def replace_environ(new):
    """Makes os.environ exactly `new`: what the last invocation (or its handler) left is gone.

    Only what differs is touched: most variables are the same from one request to the next, and
    each change is a putenv (clearing and refilling cost twice as much per request).
    """
    current = os.environ
    for key in [k for k in current if k not in new]:
        del current[key]
    for key, value in new.items():
        if current.get(key) != value:
            current[key] = value


def run_openfaas(func, msg, max_bytes):
    event = json.loads(msg["eventJson"])
    replace_environ(event["env"])
    body = base64.b64decode(event["body"]).decode("utf-8", errors="surrogateescape")
    ret = func(body)
    if ret is None:
        out = b""
    elif isinstance(ret, (bytes, bytearray)):
        out = bytes(ret)
    else:
        out = str(ret).encode("utf-8", errors="surrogateescape") + b"\n"
    if len(out) > max_bytes:
        return None, len(out)
    return json.dumps({"body": base64.b64encode(out).decode("ascii")}), len(out)


def run_lambda(func, boot, msg, max_bytes):
    event = json.loads(msg["eventJson"])
    client_context = msg.get("clientContext")
    context = Context(boot, msg["requestId"], msg["deadline"], client_context)
    ret = func(event, context)
    try:
        text = json.dumps(ret, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise MarshalError("Unable to marshal response: %s" % exc) from None
    size = len(text.encode("utf-8", errors="replace"))
    if size > max_bytes:
        return None, size
    return text, size


class MarshalError(Exception):
    """Lambda's Runtime.MarshalError: the result is not JSON-serialisable."""


def memory_used_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def main():
    contract, entry, max_bytes = sys.argv[1], sys.argv[2], int(sys.argv[3])
    sink = LogSink()
    sys.stdout = Capture(sink, 1)
    sys.stderr = Capture(sink, 2)
    boot = read_frame()
    if boot is None:
        return
    try:
        func = load(entry)
    except BaseException as exc:  # noqa: BLE001 -- every import failure is the function's
        detail = sink.take_background() + format_exception(exc)
        write_frame([{"type": "startFailed", "detail": detail}])
        return
    start = [{"type": "ready"}]
    background = sink.take_background()
    if background:
        start.insert(0, {"type": "log", "text": background})
    write_frame(start)
    while True:
        batch = read_frame()
        if batch is None:
            return  # the gateway closed the pipe: drain, redeploy or shutdown
        for msg in batch:
            if msg.get("type") != "invoke":
                continue  # stream flow control (ack, cancel): this host answers whole
            write_frame(invoke(func, contract, boot, msg, max_bytes, sink))


def invoke(func, contract, boot, msg, max_bytes, sink):
    sink.begin()
    try:
        if contract == "openfaas":
            result, size = run_openfaas(func, msg, max_bytes)
        else:
            result, size = run_lambda(func, boot, msg, max_bytes)
        if result is None:
            error = {
                "errorType": "Function.ResponseSizeTooLarge",
                "errorMessage": "Response payload size (%d bytes) exceeded maximum allowed payload size (%d bytes)."
                % (size, max_bytes),
                "trace": [],
            }
            done = {"type": "done", "id": msg["id"], "ok": False, "error": error}
        else:
            done = {"type": "done", "id": msg["id"], "ok": True, "resultJson": result}
    except Exception as exc:  # noqa: BLE001 -- the function's exception is its answer
        # As Lambda's Python runtime logs it: the error line, then Python's own traceback text.
        sys.stderr.write("[ERROR] %s: %s\n" % (type(exc).__name__, exc))
        sys.stderr.write(format_exception(exc))
        done = {"type": "done", "id": msg["id"], "ok": False, "error": error_info(exc)}
    batch = []
    done["logs"] = sink.end()
    done["memoryUsedMb"] = memory_used_mb()
    background = sink.take_background()
    if background:
        batch.append({"type": "log", "text": background})
    batch.append(done)
    return batch


if __name__ == "__main__":
    main()
