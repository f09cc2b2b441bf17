"""The ``vrstore`` command: serve | demo | migrate | build | import | admin | loadtest."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console

from server.settings import Settings, SettingsProblem, load_settings

app = typer.Typer(help="vrstore: a VR sale-festival mall server.", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_show_locals=False)
admin = typer.Typer(help="Administration: festivals and tokens.", no_args_is_help=True)
app.add_typer(admin, name="admin")
console = Console()
err = Console(stderr=True)

HostOpt = Annotated[str | None, typer.Option(help="Interface to listen on (VRSTORE_HOST)")]
PortOpt = Annotated[int | None, typer.Option(help="Port to listen on (VRSTORE_PORT)")]
DataOpt = Annotated[Path | None, typer.Option("--data-dir", help="Data directory (VRSTORE_DATA_DIR)")]
WorkersOpt = Annotated[int, typer.Option(
    "--workers", min=1, max=64,
    help="Server processes sharing the port (SO_REUSEPORT); more than 1 needs VRSTORE_REDIS_URL and PostgreSQL")]


def _settings(host: str | None = None, port: int | None = None, data_dir: Path | None = None) -> Settings:
    overrides: dict[str, object] = {}
    if host is not None:
        overrides["host"] = host
    if port is not None:
        overrides["port"] = port
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        return load_settings(**overrides)
    except SettingsProblem as exc:  # one line naming the variable, never a traceback
        from rich.markup import escape

        err.print(f"[red]error:[/red] {escape(str(exc))}", soft_wrap=True)
        raise typer.Exit(2) from None


def _logging(settings: Settings) -> None:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.getLevelName(settings.log_level)))


@app.command()
def serve(host: HostOpt = None, port: PortOpt = None, data_dir: DataOpt = None, workers: WorkersOpt = 1) -> None:
    """Run the server (migrates the database first)."""
    settings = _settings(host, port, data_dir)
    _logging(settings)
    if workers == 1:
        from server.process.single import run

        run(settings)
        return
    from rich.markup import escape

    from server.process.supervisor import Supervisor, migrate_once, refusal

    if (problem := refusal(settings, workers)) is not None:
        err.print(f"[red]error:[/red] {escape(problem)}")
        raise typer.Exit(2)
    try:
        migrate_once(settings)
    except Exception as exc:  # unreachable database, bad URL: a message, not a traceback
        err.print(f"[red]error:[/red] could not migrate the database: {escape(str(exc) or type(exc).__name__)}")
        raise typer.Exit(1) from None
    raise typer.Exit(Supervisor(settings, workers).run())


@app.command(hidden=True)
def worker() -> None:
    """One worker of `vrstore serve --workers N`; the supervisor starts it with its settings in the environment."""
    from server.process.supervisor import worker_main

    settings = _settings()
    _logging(settings)
    worker_main(settings)


@app.command()
def migrate(data_dir: DataOpt = None) -> None:
    """Upgrade the database schema to the newest revision."""
    from server.persistence import migrate as migrations
    from server.persistence.engine import make_engine

    settings = _settings(data_dir=data_dir)
    settings.data_dir.mkdir(parents=True, exist_ok=True)

    async def go() -> str | None:
        engine = make_engine(settings.effective_database_url)
        try:
            await migrations.upgrade(engine)
            return await migrations.current_revision(engine)
        finally:
            await engine.dispose()

    console.print(f"database at revision [bold]{asyncio.run(go())}[/bold]")


@app.command()
def demo(host: HostOpt = None, port: PortOpt = None, data_dir: DataOpt = None,
         seed_only: Annotated[bool, typer.Option(help="Seed the demo festival and exit")] = False) -> None:
    """Seed the demo festival (idempotent), print its URLs and tokens, and serve it."""
    from server.demo import print_summary, seed
    from server.process.single import run

    settings = _settings(host, port, data_dir)
    _logging(settings)
    summary = asyncio.run(seed(settings, progress=console))
    print_summary(console, settings, summary)
    if not seed_only:
        run(settings)


@admin.command("create-festival")
def create_festival(
    slug: Annotated[str, typer.Option(help="URL name, e.g. korea-sale-festa-2026")],
    name: Annotated[str, typer.Option(help="Korean name")],
    name_en: Annotated[str | None, typer.Option(help="English name (defaults to --name)")] = None,
    timezone: Annotated[str, typer.Option(help="IANA time zone")] = "Asia/Seoul",
    data_dir: DataOpt = None,
) -> None:
    """Create a festival and print its organizer token (shown only this once)."""
    from pydantic import ValidationError

    from server.admin import create_festival as create
    from server.domain.errors import DomainError

    settings = _settings(data_dir=data_dir)
    try:
        token = asyncio.run(create(settings, slug=slug, name_ko=name, name_en=name_en or name, timezone=timezone))
    except DomainError as exc:
        err.print(f"[red]error:[/red] {exc.detail}")
        raise typer.Exit(1) from None
    except ValidationError as exc:
        err.print(f"[red]error:[/red] {exc.errors(include_url=False)[0]['msg']}")
        raise typer.Exit(1) from None
    console.print(f"festival [bold]{slug}[/bold] created")
    console.print("organizer token (store it now, it is not shown again):")
    print(token)


# Commands whose modules are heavy (numpy, trimesh, the load generator): only the one being run is imported,
# so `vrstore --help` and the light commands start fast. The help text lives here, for the command list.
# The load generator is a tool of the source checkout (tools/loadtest/), not part of the installed package.
LAZY_COMMANDS = {
    "import": ("storefront_builder.cli.import_cmd", "import_command",
               "Import a catalog file: a table of what was read and of rejected rows."),
    "build": ("storefront_builder.cli.build_cmd", "build_command",
              "Build a walk-in store (GLB, manifest, report, floor plan) from a catalog."),
    "loadtest": ("loadtest.run", "loadtest_command",
                 "Synthetic shoppers against a running server: latency, delivery, bandwidth, CPU (source checkout)."),
}


def register_lazy_commands(argv: list[str]) -> None:
    """Register the command being run with its real signature; the others by name and help text only."""
    wanted = next((arg for arg in argv if not arg.startswith("-")), None)  # the top level takes no option values
    for name, (module, function, help_text) in LAZY_COMMANDS.items():
        command = _load(module, function) if name == wanted else _not_loaded
        app.command(name, help=help_text)(command)


def _load(module: str, function: str) -> Any:
    import importlib
    import sys

    from storefront_builder.resources import CHECKOUT

    tools = CHECKOUT / "tools"
    if tools.is_dir() and str(tools) not in sys.path:
        sys.path.append(str(tools))
    try:
        return getattr(importlib.import_module(module), function)
    except ModuleNotFoundError as exc:
        if exc.name is None or not module.startswith(exc.name):
            raise
        return _only_in_checkout


def _only_in_checkout() -> None:
    """What a command of the source checkout does in an installation without it."""
    err.print("[red]error:[/red] this command runs from a source checkout of vrstore (tools/); "
              "this installation has none")
    raise typer.Exit(2)


def _not_loaded() -> None:
    """Stands in for a lazy command in the command list; main() registers the real one when it is run."""
    raise typer.Exit(2)


def main() -> None:
    import sys

    register_lazy_commands(sys.argv[1:])
    app()
