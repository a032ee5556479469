"""The `tend` command. It parses, calls actions and selectors, and prints; the work itself is
done by the domain code. Mistakes (TendError) print their message and field errors and exit
with status 2, never a traceback."""

import argparse
import getpass
import os
import secrets
import sys
import time

DEFAULT_SETTINGS = "tend.config.settings.production"
EXIT_USAGE = 2


def _prescan_option(argv: list[str], option: str) -> str | None:
    """An option's value, read before Django is set up (it decides which database to use)."""
    for index, arg in enumerate(argv):
        if arg == option and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(option + "="):
            return arg.split("=", 1)[1]
    return None


def _setup_django() -> None:
    import django
    from django.apps import apps

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    if not apps.ready:
        django.setup()


def _cli_language() -> str:
    wanted = os.environ.get("TEND_LANGUAGE")
    if wanted:
        return wanted
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(name, "")
        if value:
            return "zh-hans" if value.lower().startswith("zh") else "en"
    return "en"


# -- commands ------------------------------------------------------------------------------


def _require_migrated() -> None:
    from django.utils.translation import gettext as _

    from tend.cli.doctor import unapplied_migrations
    from tend.core.errors import TendError

    pending = unapplied_migrations()
    if pending:
        raise TendError(
            _("The database has %(count)d unapplied migrations: run `tend migrate` first.")
            % {"count": len(pending)}
        )


def cmd_serve(args) -> int:
    from django.core.management import call_command
    from django.utils.translation import gettext as _

    from tend.cli.serve import port_free, serve
    from tend.core.errors import TendError

    _require_migrated()
    if not port_free(args.host, args.port):
        raise TendError(
            _("Port %(port)d on %(host)s is already in use: stop what uses it or choose --port.")
            % {"port": args.port, "host": args.host}
        )
    print(_("Collecting static assets…"), flush=True)
    call_command("collectstatic", interactive=False, verbosity=0)
    return serve(host=args.host, port=args.port, workers=args.workers, threads=args.threads)


def cmd_worker(args) -> int:
    from tend.cli.serve import run_worker

    return run_worker()


def cmd_migrate(args) -> int:
    from django.core.management import call_command
    from django.utils.translation import gettext as _

    from tend.cli.doctor import database_description, unapplied_migrations

    pending = unapplied_migrations()
    print(_("Database: %(database)s") % {"database": database_description()})
    if not pending:
        print(_("The database is up to date."))
        return 0
    started = time.monotonic()
    call_command("migrate", interactive=False, verbosity=0)
    print(
        _("Applied %(count)d migrations in %(seconds).1f s.")
        % {"count": len(pending), "seconds": time.monotonic() - started}
    )
    return 0


def cmd_manage(args) -> int:
    from django.core.management import execute_from_command_line

    execute_from_command_line(["tend manage", *args.arguments])
    return 0


def cmd_demo(args) -> int:
    from django.utils.translation import gettext as _

    from tend.cli.console import print_table
    from tend.core.errors import ValidationFailed
    from tend.demo.generator import create_demo_data, database_is_empty

    if args.customers < 0:
        raise ValidationFailed(field_errors={"customers": [_("Enter zero or more.")]})
    _require_migrated()
    if not (args.if_empty or args.add_to_existing or database_is_empty()):
        # Fake customers owned by real reps cannot be told apart later: ask for intent.
        raise ValidationFailed(
            _(
                "This database already has users. Use --if-empty to do nothing in that case, "
                "or --add-to-existing to add demo customers to it."
            )
        )
    result = create_demo_data(
        customers=args.customers,
        seed=args.seed,
        if_empty=args.if_empty,
        progress=lambda message: print(message, flush=True),
    )
    if result.skipped:
        print(_("The database already has users: no demo data created."))
        return 0
    if result.credentials:
        print()
        print(_("Demo accounts (the passwords are shown only this once):"))
        print_table(
            [_("username"), _("role"), _("password")],
            [[c.username, c.role, c.password] for c in result.credentials],
        )
    return 0


def _read_password(args) -> tuple[str, bool]:
    """The password, and whether it was generated (and so must be shown)."""
    from django.utils.translation import gettext as _

    from tend.core.errors import ValidationFailed

    if args.password is not None:
        return args.password, False
    if args.generate_password:
        return secrets.token_urlsafe(12), True
    if not sys.stdin.isatty():
        raise ValidationFailed(
            field_errors={
                "password": [
                    _("Give --password or --generate-password when not typing at a terminal.")
                ]
            }
        )
    first = getpass.getpass(_("Password: "))
    second = getpass.getpass(_("Password (again): "))
    if first != second:
        raise ValidationFailed(field_errors={"password": [_("The two passwords differ.")]})
    return first, False


def _unknown_role_error(role: str):
    from django.utils.translation import gettext as _

    from tend.accounts.models import Role
    from tend.core.errors import ValidationFailed

    return ValidationFailed(
        field_errors={
            "role": [
                _("Unknown role: %(role)s.") % {"role": role},
                _("Choose one of: %(choices)s.") % {"choices": ", ".join(Role.values)},
            ]
        }
    )


def _team_named(name: str):
    from django.utils.translation import gettext as _

    from tend.accounts.models import Team
    from tend.core.errors import ValidationFailed

    team = Team.objects.filter(name=name).first()
    if team is None:
        raise ValidationFailed(
            field_errors={"team": [_("No team is named %(name)s.") % {"name": name}]}
        )
    return team


def _user_named(username: str):
    from django.utils.translation import gettext as _

    from tend.accounts.models import User
    from tend.core.errors import NotFound

    user = User.objects.filter(username=username).first()
    if user is None:
        raise NotFound(_("No user is named %(username)s.") % {"username": username})
    return user


def cmd_user_create(args) -> int:
    from django.utils.translation import gettext as _

    from tend.accounts.actions import create_user
    from tend.accounts.models import Role

    _require_migrated()
    # Refuse an unknown role before asking for a password that would then be thrown away.
    if args.role not in Role.values:
        raise _unknown_role_error(args.role)
    team = _team_named(args.team) if args.team else None
    password, generated = _read_password(args)
    user = create_user(
        username=args.username,
        password=password,
        role=args.role,
        team=team,
        full_name=args.full_name or "",
        email=args.email or "",
    )
    print(
        _("Created user %(username)s (%(role)s).") % {"username": user.username, "role": user.role}
    )
    if generated:
        print(_("Password (shown only this once): %(password)s") % {"password": password})
    return 0


def cmd_user_list(args) -> int:
    from django.utils.translation import gettext as _

    from tend.accounts.models import User
    from tend.cli.console import print_table

    _require_migrated()
    users = User.objects.select_related("team").order_by("username")
    print_table(
        [_("username"), _("full name"), _("role"), _("team"), _("active")],
        [
            [
                user.username,
                user.full_name,
                user.role,
                user.team.name if user.team else "",
                _("yes") if user.is_active else _("no"),
            ]
            for user in users
        ],
    )
    return 0


def cmd_team_create(args) -> int:
    from django.utils.translation import gettext as _

    from tend.accounts.actions import create_team

    _require_migrated()
    manager = _user_named(args.manager) if args.manager else None
    parent = _team_named(args.parent) if args.parent else None
    team = create_team(name=args.name, manager=manager, parent=parent)
    print(_("Created team %(name)s.") % {"name": team.name})
    return 0


def cmd_team_list(args) -> int:
    from django.utils.translation import gettext as _

    from tend.accounts.models import Team
    from tend.cli.console import print_table

    _require_migrated()
    teams = Team.objects.select_related("parent", "manager").order_by("name")
    print_table(
        [_("team"), _("parent team"), _("manager")],
        [
            [
                team.name,
                team.parent.name if team.parent else "",
                team.manager.username if team.manager else "",
            ]
            for team in teams
        ],
    )
    return 0


def cmd_token_create(args) -> int:
    from django.utils.translation import gettext as _

    from tend.accounts.actions import create_api_token

    _require_migrated()
    user = _user_named(args.username)
    token, raw = create_api_token(user=user, name=args.name)
    print(
        _("Created API token %(name)s for %(username)s. It is shown only this once:")
        % {"name": token.name, "username": user.username}
    )
    print(raw)
    return 0


def _acting_user(username: str | None):
    """The user named by --as, or the first active administrator."""
    from django.utils.translation import gettext as _

    from tend.accounts.models import Role, User
    from tend.core.errors import NotFound

    if username:
        return _user_named(username)
    actor = User.objects.filter(role=Role.ADMIN, is_active=True).order_by("pk").first()
    if actor is None:
        raise NotFound(_("No administrator exists: name the acting user with --as."))
    return actor


def cmd_status_export(args) -> int:
    from tend.status.model_file import export_model

    _require_migrated()
    text = export_model()
    if args.file in (None, "-"):
        sys.stdout.write(text)
    else:
        with open(args.file, "w", encoding="utf-8") as handle:
            handle.write(text)
    return 0


def cmd_status_import(args) -> int:
    from django.db import transaction
    from django.utils.translation import gettext as _

    from tend.status.model_file import ModelFileErrors, apply_model, parse_model

    _require_migrated()
    actor = _acting_user(args.as_user)
    try:
        with open(args.file, encoding="utf-8") as handle:
            text = handle.read()
    except (OSError, UnicodeDecodeError) as error:
        print(
            _("Cannot read %(file)s: %(error)s") % {"file": args.file, "error": error},
            file=sys.stderr,
        )
        return EXIT_USAGE
    try:
        with transaction.atomic():
            counts = apply_model(actor=actor, specs=parse_model(text))
            if args.dry_run:
                transaction.set_rollback(True)
    except ModelFileErrors as errors:
        return _model_problems(errors)
    message = (
        _("Dry run: %(created)d would be created, %(updated)d updated, %(removed)d removed.")
        if args.dry_run
        else _("Model applied: %(created)d created, %(updated)d updated, %(removed)d removed.")
    )
    print(message % counts)
    return 0


def _model_problems(errors) -> int:
    """Print a refused model file's problems (each with its line); the usage exit code."""
    from django.utils.translation import gettext as _

    print(
        _("The model file was not applied; %(count)d problem(s):")
        % {"count": len(errors.problems)},
        file=sys.stderr,
    )
    for problem in errors.problems:
        print(f"  {problem}", file=sys.stderr)
    return EXIT_USAGE


def cmd_status_templates(args) -> int:
    from django.utils.translation import gettext as _

    from tend.cli.console import print_table
    from tend.status.templates import templates

    _require_migrated()
    print_table(
        [_("key"), _("name"), _("custom fields"), _("installed")],
        [
            [
                template.name,
                template.label,
                ", ".join(field.key for field in template.fields),
                _("yes") if template.installed() else _("no"),
            ]
            for template in templates()
        ],
    )
    return 0


def cmd_status_install_template(args) -> int:
    """Add an industry template to the model (tend.status.templates): checked whole with the
    current model, applied like import-model, nothing changed by a dry run."""
    from django.utils.translation import gettext as _

    from tend.status.model_file import ModelFileErrors
    from tend.status.templates import install_template

    _require_migrated()
    actor = _acting_user(args.as_user)
    try:
        installed = install_template(args.name, actor=actor, dry_run=args.dry_run)
    except ModelFileErrors as errors:
        return _model_problems(errors)
    if installed.fields_created:
        message = (
            _("Custom fields that would be created: %(keys)s.")
            if args.dry_run
            else _("Custom fields created: %(keys)s.")
        )
        print(message % {"keys": ", ".join(installed.fields_created)})
    message = (
        _("Dry run: %(created)d would be created, %(updated)d updated, %(removed)d removed.")
        if args.dry_run
        else _("Model applied: %(created)d created, %(updated)d updated, %(removed)d removed.")
    )
    print(message % installed.counts)
    return 0


def cmd_status_evaluate(args) -> int:
    import datetime

    from django.utils import timezone
    from django.utils.translation import gettext as _

    from tend.cli.console import print_table
    from tend.core.errors import ValidationFailed
    from tend.status.models import Rule
    from tend.status.rules import evaluate

    _require_migrated()
    rules = None
    if args.rule:
        rules = list(Rule.objects.filter(key__in=args.rule))
        missing = sorted(set(args.rule) - {rule.key for rule in rules})
        if missing:
            raise ValidationFailed(
                _("No rule has the key %(keys)s.") % {"keys": ", ".join(missing)}
            )
    now = None
    if args.as_of:
        if not args.dry_run:
            raise ValidationFailed(
                _("--as-of needs --dry-run: changes are recorded at the time they are made.")
            )
        try:
            day = datetime.date.fromisoformat(args.as_of)
        except ValueError:
            raise ValidationFailed(_("--as-of takes a date such as 2026-01-31.")) from None
        now = timezone.make_aware(datetime.datetime.combine(day, datetime.time(23, 59, 59)))
    evaluation = evaluate(rules=rules, now=now, dry_run=args.dry_run)
    print_table(
        [_("rule"), _("matched"), _("changed"), _("waiting"), _("refused"), _("first refusal")],
        [
            [
                result.rule.key,
                result.matched,
                result.changed,
                result.waiting,
                result.refused,
                result.first_refusal,
            ]
            for result in evaluation.results
        ],
    )
    total = sum(result.changed for result in evaluation.results)
    print(
        (
            _("Dry run: %(count)d customer(s) would change.")
            if args.dry_run
            else _("%(count)d customer(s) changed.")
        )
        % {"count": total}
    )
    if evaluation.unstable:
        sample = ", ".join(
            f"#{customer} ({' / '.join(keys)})"
            for customer, keys in list(evaluation.unstable.items())[:5]
        )
        print(
            _("The rules flip %(count)d customer(s) back and forth on every run: %(sample)s")
            % {"count": len(evaluation.unstable), "sample": sample},
            file=sys.stderr,
        )
        return EXIT_USAGE
    return 0


def cmd_import(args) -> int:
    from django.utils.translation import gettext as _

    from tend.cli.console import ProgressLine
    from tend.imports.actions import create_import_job, run_import

    _require_migrated()
    actor = _acting_user(args.as_user)
    mapping = None
    if args.map:
        mapping = {}
        for pair in args.map:
            header, _sep, field_name = pair.partition("=")
            mapping[header.strip()] = field_name.strip()
    job = create_import_job(
        actor=actor,
        kind=args.kind,
        source=args.file,
        file_name=os.path.basename(args.file),
        mapping=mapping,
        match_key=args.key or "",
        dry_run=args.dry_run,
        skip_invalid=args.skip_invalid,
    )
    columns = ", ".join(f"{header} → {name}" for header, name in job.mapping.items() if name)
    print(
        _("Importing %(file)s as %(user)s, matching by %(key)s.")
        % {"file": job.file_name, "user": actor.username, "key": job.match_key}
    )
    print(_("Columns: %(columns)s") % {"columns": columns})
    progress = ProgressLine(sys.stderr)
    job = run_import(
        job,
        on_progress=lambda values: progress.show(
            values["processed"],
            values["total"],
            _("%(created)s new, %(updated)s updated, %(errors)s errors") % values,
        ),
    )
    progress.end()
    if job.status == "done" and not job.dry_run:
        summary = _(
            "%(created)s created, %(updated)s updated, %(unchanged)s unchanged, %(errors)s rows "
            "with errors, of %(total)s rows."
        )
    else:
        summary = _(
            "Nothing written. The file would create %(created)s, update %(updated)s and leave "
            "%(unchanged)s unchanged; %(errors)s rows have errors, of %(total)s rows."
        )
    print(
        summary
        % {
            "created": job.created_count,
            "updated": job.updated_count,
            "unchanged": job.unchanged_count,
            "errors": job.error_count,
            "total": job.total_rows,
        }
    )
    for error in job.errors_sample[:10]:
        print(_("  row %(row)s, %(column)s “%(value)s”: %(message)s") % error, file=sys.stderr)
    if job.report_name:
        from tend.imports.actions import report_path

        print(_("Error report: %(path)s") % {"path": report_path(job)})
    if job.message:
        print(job.message)
    return 0 if job.status == "done" else 1


def cmd_doctor(args) -> int:
    from django.utils.translation import gettext as _

    from tend.cli.console import display_width, pad
    from tend.cli.doctor import run_checks

    results = run_checks()
    statuses = {True: _("OK"), False: _("FAIL")}
    status_width = max(display_width(status) for status in statuses.values())
    name_width = max(display_width(result.name) for result in results)
    for result in results:
        status = pad(statuses[result.ok], status_width)
        print(f"{status}  {pad(result.name, name_width)}  {result.detail}")
        if not result.ok and result.fix:
            print(f"{pad('', status_width)}  {pad('', name_width)}  → {result.fix}")
    failed = [result for result in results if not result.ok]
    if failed:
        print(
            _("%(count)d of %(total)d checks failed.")
            % {"count": len(failed), "total": len(results)}
        )
        return 1
    print(_("All %(total)d checks passed.") % {"total": len(results)})
    return 0


# -- parsing -------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    from django.utils.translation import gettext as _

    parser = argparse.ArgumentParser(
        prog="tend", description=_("Tend, a CRM whose centre is customer status.")
    )
    commands = parser.add_subparsers(dest="command", metavar=_("command"), required=True)

    serve = commands.add_parser("serve", help=_("serve the web UI and API, with the worker"))
    serve.add_argument("--host", default="127.0.0.1", help=_("address to listen on"))
    serve.add_argument("--port", type=int, default=8000, help=_("port to listen on"))
    serve.add_argument("--workers", type=int, default=2, help=_("web server processes"))
    serve.add_argument("--threads", type=int, default=4, help=_("threads per process"))
    serve.set_defaults(handler=cmd_serve)

    worker = commands.add_parser("worker", help=_("run the background worker"))
    worker.set_defaults(handler=cmd_worker)

    migrate = commands.add_parser("migrate", help=_("create or update the database tables"))
    migrate.set_defaults(handler=cmd_migrate)

    manage = commands.add_parser(
        "manage", help=_("run a Django management command (for operators)"), add_help=False
    )
    manage.add_argument("arguments", nargs=argparse.REMAINDER)
    manage.set_defaults(handler=cmd_manage)

    demo = commands.add_parser("demo", help=_("create demo data"))
    demo.add_argument("--customers", type=int, default=2000, help=_("how many customers"))
    demo.add_argument("--seed", type=int, default=42, help=_("random seed (same seed, same data)"))
    demo.add_argument(
        "--if-empty", action="store_true", help=_("do nothing if the database has users")
    )
    demo.add_argument(
        "--add-to-existing",
        action="store_true",
        help=_("add demo customers to a database that already has users"),
    )
    demo.add_argument("--database-url", help=_("write to this database instead of DATABASE_URL's"))
    demo.set_defaults(handler=cmd_demo)

    user = commands.add_parser("user", help=_("create and list users"))
    user_commands = user.add_subparsers(dest="user_command", metavar=_("action"), required=True)
    user_create = user_commands.add_parser("create", help=_("create a user"))
    user_create.add_argument("username")
    user_create.add_argument("--role", required=True, help=_("one of the roles, e.g. sales_rep"))
    user_create.add_argument("--team", help=_("name of the user's team"))
    user_create.add_argument("--full-name")
    user_create.add_argument("--email")
    password = user_create.add_mutually_exclusive_group()
    password.add_argument("--password", help=_("the password (otherwise asked twice)"))
    password.add_argument(
        "--generate-password", action="store_true", help=_("generate one and print it once")
    )
    user_create.set_defaults(handler=cmd_user_create)
    user_list = user_commands.add_parser("list", help=_("list users"))
    user_list.set_defaults(handler=cmd_user_list)

    team = commands.add_parser("team", help=_("create and list teams"))
    team_commands = team.add_subparsers(dest="team_command", metavar=_("action"), required=True)
    team_create = team_commands.add_parser("create", help=_("create a team"))
    team_create.add_argument("name")
    team_create.add_argument("--manager", help=_("username of the team's manager"))
    team_create.add_argument("--parent", help=_("name of the team above it"))
    team_create.set_defaults(handler=cmd_team_create)
    team_list = team_commands.add_parser("list", help=_("list teams"))
    team_list.set_defaults(handler=cmd_team_list)

    token = commands.add_parser("token", help=_("personal API tokens"))
    token_commands = token.add_subparsers(dest="token_command", metavar=_("action"), required=True)
    token_create = token_commands.add_parser("create", help=_("create a token for a user"))
    token_create.add_argument("username")
    token_create.add_argument("--name", default="cli", help=_("a name to recognise it by"))
    token_create.set_defaults(handler=cmd_token_create)

    from tend.imports.kinds import KINDS

    importer = commands.add_parser(
        "import", help=_("import customers, contacts, activities, orders or payments")
    )
    importer.add_argument("kind", choices=sorted(KINDS))
    importer.add_argument("file", help=_("a CSV (UTF-8 or GB18030) or XLSX file"))
    importer.add_argument("--as", dest="as_user", help=_("the importing user (default: an admin)"))
    importer.add_argument("--key", help=_("the field rows are matched by, e.g. credit_code"))
    importer.add_argument(
        "--map",
        action="append",
        metavar="HEADER=FIELD",
        help=_("map a column to a field (repeatable); unmapped columns are guessed"),
    )
    importer.add_argument("--dry-run", action="store_true", help=_("check only, write nothing"))
    importer.add_argument(
        "--skip-invalid",
        action="store_true",
        help=_("import the valid rows even if others have errors"),
    )
    importer.set_defaults(handler=cmd_import)

    status = commands.add_parser("status", help=_("the status model"))
    status_commands = status.add_subparsers(dest="status_command", required=True)
    status_export = status_commands.add_parser(
        "export-model", help=_("write the status model as a YAML file")
    )
    status_export.add_argument("file", nargs="?", help=_("the file (default: the screen)"))
    status_export.set_defaults(handler=cmd_status_export)
    status_import = status_commands.add_parser(
        "import-model", help=_("apply a status model YAML file, checked whole first")
    )
    status_import.add_argument("file")
    status_import.add_argument(
        "--as", dest="as_user", help=_("the acting user (default: an admin)")
    )
    status_import.add_argument(
        "--dry-run", action="store_true", help=_("check only, write nothing")
    )
    status_import.set_defaults(handler=cmd_status_import)
    status_templates = status_commands.add_parser(
        "templates", help=_("list the industry templates of the status model")
    )
    status_templates.set_defaults(handler=cmd_status_templates)
    status_install = status_commands.add_parser(
        "install-template",
        help=_("add an industry template to the status model, checked whole first"),
    )
    status_install.add_argument("name", help=_("the template, as `tend status templates` lists"))
    status_install.add_argument(
        "--as", dest="as_user", help=_("the acting user (default: an admin)")
    )
    status_install.add_argument(
        "--dry-run", action="store_true", help=_("check only, write nothing")
    )
    status_install.set_defaults(handler=cmd_status_install_template)
    status_evaluate = status_commands.add_parser(
        "evaluate", help=_("run the rules for every customer, or show what they would change")
    )
    status_evaluate.add_argument(
        "--rule", action="append", metavar="KEY", help=_("only this rule (repeatable)")
    )
    status_evaluate.add_argument("--as-of", help=_("as of this date (with --dry-run)"))
    status_evaluate.add_argument(
        "--dry-run", action="store_true", help=_("check only, write nothing")
    )
    status_evaluate.set_defaults(handler=cmd_status_evaluate)

    doctor = commands.add_parser("doctor", help=_("check the installation"))
    doctor.set_defaults(handler=cmd_doctor)
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    database_url = _prescan_option(argv, "--database-url")
    if database_url:
        os.environ["DATABASE_URL"] = database_url
    _setup_django()

    from django.db import DatabaseError
    from django.utils import translation
    from django.utils.translation import gettext as _

    from tend.cli.console import print_error
    from tend.cli.doctor import one_line
    from tend.core.errors import TendError

    with translation.override(_cli_language()):
        args = build_parser().parse_args(argv)
        try:
            return args.handler(args)
        except TendError as error:
            print_error(error)
            return EXIT_USAGE
        except DatabaseError as error:
            print(
                _("The database refused the request: %(error)s") % {"error": one_line(error)},
                file=sys.stderr,
            )
            print(_("Run `tend doctor` to check the installation."), file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            return 130


if __name__ == "__main__":
    sys.exit(main())
