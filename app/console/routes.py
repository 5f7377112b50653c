"""Every console address, listed in one place."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from app.console import auth, clients, deployment, messages, operators, overview

# /console itself is redirected to /console/ by the router (redirect_slashes).
ROUTES: list[BaseRoute] = [
    Mount(
        "/console",
        routes=[
            Route("/", overview.overview),
            Route("/login", auth.login_form, methods=["GET"]),
            Route("/login", auth.login, methods=["POST"]),
            Route("/logout", auth.logout, methods=["POST"]),
            Route("/language", auth.choose_language),
            Route("/messages", messages.message_list),
            Route("/messages/{message_id:int}", messages.message_detail),
            Route("/search", messages.client_search, methods=["POST"]),
            Route("/clients", clients.client_search_page),
            Route("/clients/{client_id:int}", clients.client_page),
            Route("/deployment", deployment.dashboard),
            Route("/deployment.csv", deployment.download),
            Route("/participants", operators.participant_list, methods=["GET"]),
            Route("/participants", operators.register, methods=["POST"]),
            Route("/participants/{code}/key", operators.rotate, methods=["POST"]),
            Route("/participants/{code}/deactivate", operators.deactivate, methods=["POST"]),
            Route("/contracts", operators.contract_list, methods=["GET"]),
            Route("/contracts", operators.load, methods=["POST"]),
            Route("/catalogues", operators.catalogue_list),
            Mount(
                "/static",
                app=StaticFiles(directory=Path(__file__).parent / "static"),
                name="console-static",
            ),
        ],
    ),
]
