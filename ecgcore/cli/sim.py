"""``ecg sim serve PROTOCOL``: run a device simulator on a pseudo-terminal."""

from __future__ import annotations

import argparse
import time

__all__ = ["register"]


def _serve(args: argparse.Namespace) -> int:
    from ecgcore.drivers.simulators import SIMULATORS, make_simulator  # noqa: PLC0415

    spec = SIMULATORS[args.protocol]
    kwargs = {"clock_ppm": args.clock_ppm}
    if args.link_dir:
        kwargs["link_dir"] = args.link_dir
    sim = make_simulator(args.protocol, **kwargs)
    sim.start()
    try:
        print(f"{spec.description}")
        print(f"port: {sim.path}")
        print(f"url:  {spec.url_for(sim)}", flush=True)
        deadline = None if args.duration is None else time.monotonic() + args.duration
        next_garbage = time.monotonic() + (args.garbage_every or float("inf"))
        next_drop = time.monotonic() + (args.drop_every or float("inf"))
        while deadline is None or time.monotonic() < deadline:
            time.sleep(0.05)
            now = time.monotonic()
            if now >= next_garbage:
                sim.inject_garbage(bytes(range(7, 40)))
                next_garbage = now + args.garbage_every
            if now >= next_drop:
                sim.drop_frames(5)
                next_drop = now + args.drop_every
    except KeyboardInterrupt:
        pass
    finally:
        sim.close()
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    """Add ``ecg sim serve``."""
    from ecgcore.drivers.simulators import SIMULATORS  # noqa: PLC0415

    parser = subparsers.add_parser(
        "sim", help="device simulators speaking the real wire protocols"
    )
    sub = parser.add_subparsers(dest="sim_command", metavar="COMMAND")
    sub.required = True
    serve = sub.add_parser(
        "serve",
        help="run a simulator on a pseudo-terminal and print its port and URL",
        description="Run a device simulator on a pseudo-terminal until Ctrl-C (or --duration). "
        "Open the printed URL with any ecg command, e.g. `ecg monitor URL`.",
    )
    serve.add_argument("protocol", choices=sorted(SIMULATORS), help="protocol to simulate")
    serve.add_argument("--duration", type=float, default=None, metavar="S", help="stop after S s")
    serve.add_argument("--link-dir", default=None, help="folder for the port symlink")
    serve.add_argument(
        "--clock-ppm", type=float, default=0.0, help="device clock error in ppm (default 0)"
    )
    serve.add_argument(
        "--garbage-every", type=float, default=None, metavar="S", help="inject garbage every S s"
    )
    serve.add_argument(
        "--drop-every", type=float, default=None, metavar="S", help="drop 5 frames every S s"
    )
    serve.set_defaults(func=_serve)
