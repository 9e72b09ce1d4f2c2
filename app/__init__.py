"""Trygghetsfonden: a grant-fund workflow engine. `create_app` wires everything, explicitly."""

from functools import partial
from pathlib import Path

from flask import Flask

import app.attachments.models  # noqa: F401 - its table belongs to the schema
from app.accounts.tokens import token_settings
from app.config import load_config, secret_key_problem
from app.db import make_engine, make_read_sessionmaker, make_sessionmaker
from app.engine.instances import Engine
from app.engine.specs import load_catalogue
from app.errors import ProcessDefinitionError
from app.grants.applications import sync_application
from app.grants.choices import form_choices
from app.grants.declaration_checks import declaration_problems
from app.grants.operations import SERVICE_OPERATIONS
from app.logs import configure_logging
from app.storage import storage_from_config


def create_app(config: dict | None = None) -> Flask:
    """Build the application: config → database → engine → web → cli."""
    app = Flask(__name__, instance_relative_config=True, template_folder="web/templates",
                static_folder="web/static")
    settings = load_config(config)
    if problem := secret_key_problem(settings):
        raise SystemExit(problem)
    app.config.update(settings)
    configure_logging(settings["LOG_FORMAT"], settings["LOG_LEVEL"])
    try:
        storage_from_config(settings)  # an unknown STORAGE stops the start, not a request
    except ValueError as err:
        raise SystemExit(f"Fillagringen kan inte användas: {err}") from err

    db_engine = make_engine(settings["DATABASE_URL"],
                            connect_timeout=settings["DATABASE_CONNECT_TIMEOUT"],
                            statement_timeout=settings["DATABASE_STATEMENT_TIMEOUT"])
    app.extensions["db_engine"] = db_engine
    app.extensions["sessions"] = make_sessionmaker(db_engine)
    app.extensions["read_sessions"] = make_read_sessionmaker(db_engine)
    app.extensions["token_settings"] = token_settings(settings)

    try:
        catalogue = load_catalogue(Path(settings["PROCESSES_DIR"]), Path(settings["FORMS_DIR"]))
    except ProcessDefinitionError as err:
        raise SystemExit(f"Processkatalogen kan inte laddas: {err.message}") from err
    engine = Engine(catalogue, dict(SERVICE_OPERATIONS), settings, choices=form_choices,
                    checks=(declaration_problems,))
    engine.on_saved = partial(sync_application, forms_of=engine.versions.forms_of)
    app.extensions["engine"] = engine

    from app import cli, web

    web.init_app(app)
    cli.init_app(app)
    if settings["TIMER_THREAD"]:
        from app import worker

        app.extensions["worker_stop"] = worker.start_thread(
            app.extensions["sessions"], app.extensions["engine"], settings,
            settings["TIMER_INTERVAL"])
    return app
