"""`harness emulator serve`: run the local Gemini-compatible API until Ctrl-C."""

from __future__ import annotations

import argparse
import threading

from harness.emulator.faults import FaultSpecError
from harness.emulator.models import MODELS
from harness.emulator.server import Emulator
from harness.errors import UsageError


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("emulator")
    sub = parser.add_subparsers(dest="emulator_command", required=True, metavar="ACTION")
    serve = sub.add_parser("serve", help="serve on loopback until Ctrl-C")
    serve.add_argument("--host", default="127.0.0.1", help="loopback address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 picks a free one)")
    serve.add_argument(
        "--faults",
        default=None,
        metavar="SPEC",
        help="fault spec, e.g. '429@0.2,seed=7' or 'word:BLOCKME=block_output'",
    )
    serve.add_argument(
        "--latency-scale",
        type=float,
        default=0.0,
        metavar="X",
        help="answer after X times a real model's latency (default 0: at once)",
    )
    serve.add_argument(
        "--batch-duration",
        type=float,
        default=0.0,
        metavar="S",
        help="a batch job stays RUNNING for at least S seconds (default 0; also batch_polls= in --faults)",
    )
    serve.add_argument("--verbose", action="store_true", help="log one line per request (never headers)")
    serve.set_defaults(func=serve_command)


def serve_command(args: argparse.Namespace) -> int:
    try:
        emu = Emulator(
            args.host,
            args.port,
            args.faults,
            args.latency_scale,
            batch_duration_s=args.batch_duration,
            verbose=args.verbose,
        )
        emu.start()
    except (FaultSpecError, ValueError) as exc:
        raise UsageError(
            str(exc),
            key="--faults" if isinstance(exc, FaultSpecError) else None,
            hint="see harness/emulator/README-faults.md for the fault grammar",
        ) from exc
    except OSError as exc:
        raise UsageError(
            f"cannot listen on {args.host}:{args.port}: {exc}",
            hint="pick another --port, or 0 for any free one",
        ) from exc
    print(f"Gemini emulator at {emu.url} (procedural images, not model output)")
    print(f"  models: {', '.join(MODELS)}")
    options = f"{{'base_url': '{emu.url}', 'api_version': 'v1beta'}}"
    print(f"  use: genai.Client(api_key='any', http_options={options})")
    print("  Ctrl-C to stop", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        emu.stop()
    return 0
