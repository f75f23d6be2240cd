"""``ecg serve``: the web station (live monitor, log book, grading) on this machine.

Loopback (127.0.0.1) by default, where the person at the workstation is the
only user. Bound to any other address, every page requires a login; accounts
are managed with ``--add-user``/``--remove-user``/``--list-users``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from ecgcore.cli.log import add_log_option

__all__ = ["register"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "serve",
        help="the web station: devices, live monitor, log book, grading",
        description="Serve the station in the browser (FastAPI + uvicorn). Binds to "
        "127.0.0.1 unless --host says otherwise; a non-loopback address requires a login "
        "(add accounts with --add-user NAME --role technician|grader|admin).",
    )
    p.add_argument("--host", default="127.0.0.1", help="bind address (default: 127.0.0.1)")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default: 8000)")
    p.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="station folder for recordings, uploads and reports "
        "(default: the user data directory)",
    )
    add_log_option(p)
    p.add_argument(
        "--users",
        type=Path,
        default=None,
        metavar="FILE",
        help="accounts file (default: $ECGCORE_WEB_USERS, then the user config directory)",
    )
    p.add_argument(
        "--login", action="store_true", help="require a login even on a loopback address"
    )
    p.add_argument(
        "--max-upload-mb", type=float, default=64.0, help="largest upload in MB (default: 64)"
    )
    p.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="accepted Host header (repeatable; default: loopback names, or any when exposed)",
    )
    p.add_argument(
        "--secure-cookies",
        action="store_true",
        help="mark session cookies Secure (when served through an HTTPS proxy)",
    )
    users = p.add_argument_group("accounts (no server is started)")
    users.add_argument("--add-user", metavar="NAME", help="create an account (or --replace it)")
    users.add_argument(
        "--role", choices=("technician", "grader", "admin"), help="role of --add-user"
    )
    users.add_argument("--replace", action="store_true", help="reset an existing account")
    users.add_argument(
        "--password-stdin",
        action="store_true",
        help="read the password from standard input instead of prompting",
    )
    users.add_argument("--remove-user", metavar="NAME", help="delete an account")
    users.add_argument("--list-users", action="store_true", help="list accounts and roles")
    p.set_defaults(func=run)


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass(f"password for {args.add_user}: ")
    if getpass.getpass("again: ") != first:
        raise ValueError("the passwords do not match")
    return first


def _manage_users(args: argparse.Namespace) -> int:
    from ecgcore.web.users import UserStore  # noqa: PLC0415

    store = UserStore(args.users)
    if args.list_users:
        names = store.names()
        if not names:
            print(f"no accounts in {store.path}")
        for name, role in names.items():
            print(f"{name:<24} {role}")
        return 0
    if args.remove_user:
        store.remove(args.remove_user)
        print(f"removed {args.remove_user} from {store.path}")
        return 0
    if not args.role:
        print("ecg serve: error: --add-user needs --role", file=sys.stderr)
        return 2
    user = store.add(args.add_user, args.role, _read_password(args), replace=args.replace)
    print(f"{'reset' if args.replace else 'added'} {user.name} ({user.role}) in {store.path}")
    return 0


def run(args: argparse.Namespace) -> int:
    if args.add_user or args.remove_user or args.list_users:
        return _manage_users(args)
    import uvicorn  # noqa: PLC0415 - only the server needs it

    from ecgcore.web import WebSettings, create_app  # noqa: PLC0415
    from ecgcore.web.users import UserStore  # noqa: PLC0415

    settings_kwargs = {
        "host": args.host,
        "port": args.port,
        "log_url": args.log,
        "users_file": args.users,
        "require_login": True if args.login else None,
        "max_upload_bytes": int(args.max_upload_mb * 1024 * 1024),
        "allowed_hosts": tuple(args.allowed_host),
        "secure_cookies": args.secure_cookies,
    }
    if args.data_dir is not None:
        settings_kwargs["data_dir"] = args.data_dir
    settings = WebSettings(**settings_kwargs)
    if settings.login_required and len(UserStore(settings.users_file)) == 0:
        print(
            f"ecg serve: error: {args.host} requires a login but there are no accounts; "
            "add one with: ecg serve --add-user NAME --role admin",
            file=sys.stderr,
        )
        return 2
    app = create_app(settings)
    where = f"http://{'[' + args.host + ']' if ':' in args.host else args.host}:{args.port}/"
    mode = "login required" if settings.login_required else "loopback, no login"
    print(f"ecg serve: station at {where} ({mode}); data in {settings.data_dir}", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level="warning",
        proxy_headers=False,
        server_header=False,
        ws_max_size=1 << 20,
        timeout_graceful_shutdown=5,
    )
    return 0
