"""GitHub Apps in the sandbox: an App's JWT, its installations, their hour-long tokens.

An App signs a JWT (RS256, `iss` its id, `exp` at most 10 minutes ahead) with its private
key, and trades it for an installation token (POST
/app/installations/{installation_id}/access_tokens), which lasts an hour. GitHub's pages:
"Generating a JSON Web Token (JWT) for a GitHub App" and "Generating an installation access
token for a GitHub App" (docs.github.com/apps/creating-github-apps/authenticating-with-a-
github-app/...), "Create an installation access token for an app" and "Get a repository
installation for the authenticated app" (docs.github.com/rest/apps/apps).
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import jwt

if TYPE_CHECKING:
    from incident_sandbox.github import GitHub

TOKEN_LIFETIME = 3600  # "Installation access tokens expire one hour after creation"
JWT_MAX_AHEAD = 600  # "exp ... no more than 10 minutes into the future"
CLOCK_DRIFT = 60  # GitHub's advice: iat 60 s in the past, for clocks a little apart


@dataclass
class App:
    """A GitHub App: its id, the public half of its key, where it is installed."""

    id: int
    slug: str
    public_key: str  # PEM
    permissions: dict[str, str]
    installations: dict[int, str] = field(default_factory=dict)  # id -> "owner/name"
    token_lifetime: int = TOKEN_LIFETIME  # seconds; tests shorten it
    tokens_minted: list[datetime] = field(default_factory=list)  # when each was made

    @property
    def bot_login(self) -> str:
        """The account its installation tokens act as (`<slug>[bot]`)."""
        return f"{self.slug}[bot]"


class AppError(Exception):
    """GitHub's answer to a JWT or installation it refuses."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Apps:
    """The Apps of one sandboxed GitHub (``Sandbox.github.apps``)."""

    def __init__(self, github: GitHub) -> None:
        self.gh = github
        self.by_id: dict[int, App] = {}
        self.expiry: dict[str, datetime] = {}  # installation token -> when it expires
        self._app_ids = itertools.count(900001)
        self._installation_ids = itertools.count(800001)

    def add(
        self,
        slug: str,
        public_key: str,
        repos: tuple[str, ...] | list[str] = (),
        *,
        permissions: dict[str, str] | None = None,
        token_lifetime: int = TOKEN_LIFETIME,
    ) -> App:
        """Register an App (the public half of its key, PEM) installed on `repos`."""
        with self.gh.lock:
            app = App(
                next(self._app_ids),
                slug,
                public_key,
                permissions or {"issues": "write", "contents": "read", "metadata": "read"},
                token_lifetime=token_lifetime,
            )
            self.gh.add_app_bot(app.bot_login)
            self.by_id[app.id] = app
            for repo in repos:
                self.install(app, repo)
            return app

    def install(self, app: App, repo: str) -> int:
        """Install the App on a repository; return the installation's id."""
        with self.gh.lock:
            target = self.gh.repo(repo)
            installation = next(self._installation_ids)
            app.installations[installation] = target.full_name
            # Its permissions as a role the sandbox checks: Issues write can label and
            # close, as the workflow's token (also `write` here) can.
            write = app.permissions.get("issues") == "write"
            target.collaborators[app.bot_login.lower()] = "write" if write else "read"
            return installation

    def uninstall(self, app: App) -> None:
        """Remove every installation of the App (its tokens stop working, as on GitHub)."""
        with self.gh.lock:
            app.installations.clear()
            for token, login in list(self.gh.tokens.items()):
                if login == app.bot_login:
                    del self.gh.tokens[token]

    def expired(self, token: str) -> bool:
        """Whether this is an installation token past its hour ("Bad credentials" then)."""
        expires = self.expiry.get(token)
        return expires is not None and self.gh.now() >= expires

    def app_for_jwt(self, token: str | None) -> App:
        """The App whose JWT this is, checked as GitHub checks it; AppError (401) if not.

        The signature against the App's public key (RS256), `iss` a known App id, `exp`
        in the future but at most 10 minutes ahead, `iat` not in the future (60 s drift).
        """
        if not token:
            raise AppError(401, "Requires authentication")
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise AppError(401, "A JSON web token could not be decoded") from None
        issuer = claims.get("iss")
        if not str(issuer).isdigit():
            raise AppError(401, "'Issuer' claim ('iss') must be an Integer")
        app = self.by_id.get(int(str(issuer)))
        if app is None:
            raise AppError(401, "Integration not found")
        try:
            if header.get("alg") != "RS256":
                raise jwt.InvalidAlgorithmError("RS256 only")
            jwt.decode(
                token,
                app.public_key,
                algorithms=["RS256"],
                options={"verify_exp": False, "verify_iat": False, "verify_nbf": False},
            )
        except jwt.PyJWTError:
            raise AppError(401, "A JSON web token could not be decoded") from None
        self._check_times(claims)
        return app

    def _check_times(self, claims: dict[str, Any]) -> None:
        now = self.gh.now().timestamp()
        expires, issued = claims.get("exp"), claims.get("iat")
        if not isinstance(expires, (int, float)) or expires <= now:
            raise AppError(
                401,
                "'Expiration time' claim ('exp') must be a numeric value representing the "
                "future time at which the assertion expires",
            )
        if expires > now + JWT_MAX_AHEAD + CLOCK_DRIFT:
            raise AppError(401, "'Expiration time' claim ('exp') is too far in the future")
        if not isinstance(issued, (int, float)) or issued > now + CLOCK_DRIFT:
            raise AppError(
                401,
                "'Issued at' claim ('iat') must be an Integer representing the time that the "
                "assertion was issued",
            )

    def installation_on(self, app: App, repo: str) -> int:
        """The App's installation on `owner/name`; AppError 404 where it is not installed."""
        for installation, full in app.installations.items():
            if full.lower() == repo.lower():
                return installation
        raise AppError(404, "Not Found")

    def mint(self, app: App, installation: int) -> dict[str, Any]:
        """A new installation token (the REST `installation-token` object)."""
        if installation not in app.installations:
            raise AppError(404, "Not Found")
        with self.gh.lock:
            now = self.gh.now()
            token = "ghs_sandbox_" + secrets.token_hex(16)
            expires = now + timedelta(seconds=app.token_lifetime)
            self.gh.tokens[token] = app.bot_login
            self.expiry[token] = expires
            app.tokens_minted.append(now)
        return {
            "token": token,
            "expires_at": expires.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "permissions": dict(app.permissions),
            "repository_selection": "selected",
        }

    def installation_json(self, app: App, installation: int) -> dict[str, Any]:
        """The REST `installation` object of one installation."""
        owner = self.gh.user(app.installations[installation].split("/")[0])
        created = app.tokens_minted[0] if app.tokens_minted else self.gh.now()
        stamp = created.strftime("%Y-%m-%dT%H:%M:%SZ")
        return {
            "id": installation,
            "account": self.gh.user_json(owner.login),
            "repository_selection": "selected",
            "access_tokens_url": self.gh._api(f"/app/installations/{installation}/access_tokens"),
            "repositories_url": self.gh._api("/installation/repositories"),
            "html_url": f"https://github.com/settings/installations/{installation}",
            "app_id": app.id,
            "app_slug": app.slug,
            "target_id": owner.id,
            "target_type": owner.type,
            "permissions": dict(app.permissions),
            "events": ["issues", "issue_comment"],
            "created_at": stamp,
            "updated_at": stamp,
            "single_file_name": None,
            "has_multiple_single_files": False,
            "single_file_paths": [],
            "suspended_by": None,
            "suspended_at": None,
        }
