"""Fixtures of the fake Platform API: apps with dynos, formation, releases, config vars, add-ons,
features and builds, each object carrying every field Heroku's schema lists (strictProperties).

`acme-shop` (Cedar, heroku-24) is sick: web.2 crashed, v13 failed in its release phase so v12 is
current, v12 changed config vars (a secret among them), the latest build failed without a release,
heroku-redis is still provisioning. `idle-api` (Fir) has web=0 and maintenance on. `loop-app` has
every web dyno crashed. `busy-shop` looks healthy to the API; its database is saturated in its logs.
Config-var values are fake secrets: tests assert they never leave the server.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

__all__ = ["SECRET_VALUES", "FakeApp", "World", "build_world"]

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)
OWNER = {"email": "owner@acme.example", "id": "5a7a1c6e-4f0b-4b8e-9f3d-2b3c4d5e6f70"}
SECRET_VALUES = (
    "sk_live_51FAKEsecretValueDoNotLeak",
    "postgres://u8fakeuser:p4ssw0rdFAKE@ec2-1-2-3-4.compute-1.amazonaws.com:5432/d1fake",
    "rediss://:redisFAKEpassword@ec2-5-6-7-8.compute-1.amazonaws.com:6380",
    "whsec_FAKEwebhookSigningSecret",
)


def _id(label: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{label}.fake.heroku"))


def _ts(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class FakeApp:
    app: dict[str, Any]
    dynos: list[dict[str, Any]] = field(default_factory=list)
    formation: list[dict[str, Any]] = field(default_factory=list)
    releases: list[dict[str, Any]] = field(default_factory=list)
    config_by_release: dict[int, dict[str, str]] = field(default_factory=dict)
    addons: list[dict[str, Any]] = field(default_factory=list)
    features: list[dict[str, Any]] = field(default_factory=list)
    builds: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ref(self) -> dict[str, str]:
        return {"id": self.app["id"], "name": self.app["name"]}

    def current_config(self) -> dict[str, str]:
        current = next((r for r in self.releases if r["current"]), None)
        return dict(self.config_by_release.get(current["version"], {})) if current else {}


@dataclass
class World:
    apps: dict[str, FakeApp]

    def find(self, identity: str) -> FakeApp | None:
        for fake in self.apps.values():
            if identity in (fake.app["name"], fake.app["id"]):
                return fake
        return None


def _app(name: str, *, generation: str = "cedar", stack: str = "heroku-24", maintenance: bool = False,
         released_at: datetime | None = T0) -> dict[str, Any]:
    stack_ref = {"id": _id(f"stack-{stack}"), "name": stack}
    return {
        "acm": True, "archived_at": None, "buildpack_provided_description": "Ruby/Rack",
        "build_stack": stack_ref, "created_at": _ts(T0 - timedelta(days=400)),
        "generation": {"id": _id(f"gen-{generation}"), "name": generation},
        "git_url": f"https://git.heroku.com/{name}.git", "id": _id(f"app-{name}"),
        "internal_routing": None, "maintenance": maintenance, "name": name, "owner": OWNER,
        "organization": None, "team": None,
        "region": {"id": _id("region-us"), "name": "us"},
        "released_at": _ts(released_at) if released_at else None, "repo_size": None, "slug_size": 74_448_896,
        "space": None, "stack": stack_ref, "updated_at": _ts(T0 + timedelta(days=5)),
        "web_url": f"https://{name}-3f9a2c1b7d4e.herokuapp.com/",
    }


def _formation(app: FakeApp, ptype: str, quantity: int, command: str, size: str = "Standard-1X") -> dict[str, Any]:
    return {
        "app": app.ref, "command": command, "created_at": _ts(T0 - timedelta(days=300)),
        "dyno_size": {"id": _id(f"size-{size}"), "name": size}, "id": _id(f"{app.app['name']}-form-{ptype}"),
        "quantity": quantity, "size": size, "type": ptype, "updated_at": _ts(T0 + timedelta(days=4)),
    }


def _dyno(app: FakeApp, name: str, state: str, release: dict[str, Any], command: str, *,
          updated: datetime, size: str = "Standard-1X") -> dict[str, Any]:
    return {
        "attach_url": None, "command": command, "created_at": _ts(updated - timedelta(hours=3)),
        "id": _id(f"{app.app['name']}-dyno-{name}"), "name": name,
        "release": {"id": release["id"], "version": release["version"]}, "app": app.ref, "size": size,
        "state": state, "type": name.split(".")[0], "updated_at": _ts(updated),
    }


def _release(app: FakeApp, version: int, description: str, *, status: str = "succeeded", current: bool = False,
              created: datetime, eligible: bool = True, plans: tuple[str, ...] = ()) -> dict[str, Any]:
    rid = _id(f"{app.app['name']}-release-{version}")
    return {
        "addon_plan_names": list(plans),
        "artifacts": [{"type": "slug", "id": _id(f"{app.app['name']}-slug-{version}")}],
        "app": app.ref, "created_at": _ts(created), "description": description, "id": rid,
        "updated_at": _ts(created + timedelta(seconds=40)),
        "slug": {"id": _id(f"{app.app['name']}-slug-{version}")}, "status": status, "user": OWNER,
        "version": version, "current": current,
        "output_stream_url": f"https://release-output.heroku.com/streams/{rid}" if status != "succeeded" else None,
        "eligible_for_rollback": eligible,
    }


def _addon(app: FakeApp, name: str, service: str, plan: str, state: str, config_vars: list[str]) -> dict[str, Any]:
    return {
        "actions": [], "addon_service": {"id": _id(f"svc-{service}"), "name": service},
        "billing_entity": {"id": app.app["id"], "name": app.app["name"], "type": "app"},
        "app": app.ref, "billed_price": {"cents": 500, "contract": False, "unit": "month"},
        "config_vars": config_vars, "created_at": _ts(T0 - timedelta(days=100)), "id": _id(f"addon-{name}"),
        "name": name, "plan": {"id": _id(f"plan-{plan}"), "name": plan}, "provider_id": f"resource-{name}",
        "provision_message": "", "state": state, "updated_at": _ts(T0), "web_url": None,
    }


_FEATURE_DOCS = {
    "log-runtime-metrics": "Emit dyno resource usage (memory, load) into the log stream every 20 seconds.",
    "http-routing-2-dot-0": "Route requests through Router 2.0 (HTTP/2 to the router).",
    "preboot": "Start new dynos before stopping old ones on deploys and restarts.",
    "runtime-dyno-metadata": "Expose HEROKU_RELEASE_VERSION and related metadata to dynos.",
    "spaces-dns-discovery": "DNS service discovery between apps of a Private Space.",
}


def _feature(name: str, enabled: bool) -> dict[str, Any]:
    return {
        "created_at": _ts(T0 - timedelta(days=50)), "description": _FEATURE_DOCS[name],
        "doc_url": f"https://devcenter.heroku.com/articles/{name}", "enabled": enabled, "id": _id(f"feat-{name}"),
        "name": name, "state": "beta" if name != "preboot" else "general",
        "updated_at": _ts(T0), "display_name": name.replace("-", " ").title(), "feedback_email": "feedback@heroku.com",
    }


def _build(app: FakeApp, label: str, status: str, release: dict[str, Any] | None, created: datetime) -> dict[str, Any]:
    bid = _id(f"{app.app['name']}-build-{label}")
    return {
        "app": {"id": app.app["id"]}, "buildpacks": [{"url": "https://github.com/heroku/heroku-buildpack-ruby", "name": "heroku/ruby"}],
        "created_at": _ts(created), "generation": app.app["generation"]["name"], "id": bid,
        "output_stream_url": f"https://build-output.heroku.com/streams/{bid}",
        "source_blob": {"checksum": None, "url": "https://example.com/source.tgz", "version": label, "version_description": f"commit {label}"},
        "release": {"id": release["id"]} if release else None,
        "slug": {"id": release["slug"]["id"]} if release else None, "stack": app.app["stack"]["name"],
        "status": status, "updated_at": _ts(created + timedelta(minutes=2)), "user": OWNER,
    }


def _acme_shop() -> FakeApp:
    fake = FakeApp(app=_app("acme-shop", released_at=T0 + timedelta(days=5, hours=2)))
    web_cmd, worker_cmd = "bundle exec puma -C config/puma.rb", "bundle exec sidekiq"
    config = {"RAILS_ENV": "production", "LANG": "en_US.UTF-8", "WEB_CONCURRENCY": "2"}
    history: list[tuple[str, dict[str, str | None], str]] = [
        ("Initial release", {}, "succeeded"),
        ("Attach DATABASE (@ref:postgresql-curved-42137)", {"DATABASE_URL": SECRET_VALUES[1]}, "succeeded"),
        ("Deploy 1a2b3c4", {}, "succeeded"),
        ("Set STRIPE_API_KEY config vars", {"STRIPE_API_KEY": "sk_live_oldFAKEvalue000"}, "succeeded"),
        ("Deploy 2b3c4d5", {}, "succeeded"),
        ("Attach REDIS (@ref:redis-rigid-77311)", {"REDIS_URL": SECRET_VALUES[2]}, "succeeded"),
        ("Deploy 3c4d5e6", {}, "succeeded"),
        ("Set WEB_CONCURRENCY config vars", {"WEB_CONCURRENCY": "4"}, "succeeded"),
        ("Deploy 4d5e6f7", {}, "succeeded"),
        ("Rollback to v8", {}, "succeeded"),
        ("Deploy 5e6f7a8", {}, "succeeded"),
        ("Set STRIPE_API_KEY, STRIPE_WEBHOOK_SECRET config vars, Remove LEGACY_MODE config vars",
         {"STRIPE_API_KEY": SECRET_VALUES[0], "STRIPE_WEBHOOK_SECRET": SECRET_VALUES[3], "WEB_CONCURRENCY": "4"}, "succeeded"),
        ("Deploy 6f7a8b9", {}, "failed"),
    ]
    config["LEGACY_MODE"] = "on"
    for index, (description, changes, status) in enumerate(history):
        version = index + 1
        if version == 12:
            config.pop("LEGACY_MODE", None)
        for key, value in changes.items():
            config[key] = value  # type: ignore[assignment]
        created = T0 + timedelta(hours=10 * index)
        fake.releases.append(_release(
            fake, version, description, status=status, current=version == 12, created=created,
            eligible=status == "succeeded" and version != 12, plans=("heroku-postgresql:essential-0", "heroku-redis:mini"),
        ))
        fake.config_by_release[version] = dict(config)
    by_version = {r["version"]: r for r in fake.releases}
    current = by_version[12]
    fake.formation = [_formation(fake, "web", 2, web_cmd), _formation(fake, "worker", 1, worker_cmd)]
    now = T0 + timedelta(days=5, hours=3)
    fake.dynos = [
        _dyno(fake, "web.1", "up", current, web_cmd, updated=now - timedelta(minutes=40)),
        _dyno(fake, "web.2", "crashed", current, web_cmd, updated=now - timedelta(minutes=3)),
        _dyno(fake, "worker.1", "up", current, worker_cmd, updated=now - timedelta(hours=2)),
        _dyno(fake, "run.4821", "up", current, "rails console", updated=now - timedelta(minutes=9)),
    ]
    fake.addons = [
        _addon(fake, "postgresql-curved-42137", "heroku-postgresql", "heroku-postgresql:essential-0", "provisioned", ["DATABASE_URL"]),
        _addon(fake, "redis-rigid-77311", "heroku-redis", "heroku-redis:mini", "provisioning", ["REDIS_URL"]),
        _addon(fake, "papertrail-flat-10293", "papertrail", "papertrail:choklad", "provisioned", ["PAPERTRAIL_API_TOKEN"]),
    ]
    fake.features = [
        _feature("log-runtime-metrics", True), _feature("http-routing-2-dot-0", False),
        _feature("preboot", False), _feature("runtime-dyno-metadata", True), _feature("spaces-dns-discovery", False),
    ]
    fake.builds = [
        _build(fake, "4d5e6f7", "succeeded", by_version[9], T0 + timedelta(hours=79)),
        _build(fake, "5e6f7a8", "succeeded", by_version[11], T0 + timedelta(hours=99)),
        _build(fake, "6f7a8b9", "succeeded", by_version[13], T0 + timedelta(hours=119)),
        _build(fake, "7a8b9c0", "failed", None, T0 + timedelta(hours=125)),
    ]
    return fake


def _idle_api() -> FakeApp:
    fake = FakeApp(app=_app("idle-api", generation="fir", stack="cnb", maintenance=True))
    release = _release(fake, 3, "Deploy 9f8e7d6", current=True, created=T0, eligible=True)
    fake.releases = [
        _release(fake, 1, "Initial release", created=T0 - timedelta(days=3), eligible=True),
        _release(fake, 2, "Set PORT config vars", created=T0 - timedelta(days=2), eligible=True),
        release,
    ]
    fake.config_by_release = {1: {}, 2: {"PORT": "5000"}, 3: {"PORT": "5000"}}
    fake.formation = [_formation(fake, "web", 0, "node server.js", size="Standard-1X")]
    fake.features = [_feature("runtime-dyno-metadata", False)]
    return fake


def _loop_app() -> FakeApp:
    fake = FakeApp(app=_app("loop-app"))
    release = _release(fake, 7, "Deploy 0badc0d", current=True, created=T0, eligible=False)
    fake.releases = [_release(fake, 6, "Deploy 600d000", created=T0 - timedelta(days=1)), release]
    fake.config_by_release = {6: {"LANG": "en_US.UTF-8"}, 7: {"LANG": "en_US.UTF-8"}}
    cmd = "gunicorn app:app"
    fake.formation = [_formation(fake, "web", 3, cmd)]
    fake.dynos = [
        _dyno(fake, "web.1", "crashed", release, cmd, updated=T0 + timedelta(minutes=5)),
        _dyno(fake, "web.2", "starting", release, cmd, updated=T0 + timedelta(minutes=6)),
        _dyno(fake, "web.3", "crashed", release, cmd, updated=T0 + timedelta(minutes=6)),
    ]
    fake.features = [_feature("log-runtime-metrics", False)]
    return fake


def _busy_shop() -> FakeApp:
    """Up, released and provisioned: nothing the Platform API shows is wrong; only its logs tell (the
    saturated database of `saturation_logs`, served when the fake runs with `logs="saturated"`)."""
    fake = FakeApp(app=_app("busy-shop", released_at=T0 + timedelta(days=2)))
    web_cmd, worker_cmd = "bundle exec puma -C config/puma.rb", "bundle exec sidekiq"
    fake.releases = [
        _release(fake, 40, "Deploy 8c7b6a5", created=T0 + timedelta(days=1), eligible=True),
        _release(fake, 41, "Deploy 9d8c7b6", current=True, created=T0 + timedelta(days=2), eligible=False,
                 plans=("heroku-postgresql:standard-0", "heroku-redis:premium-0")),
    ]
    fake.config_by_release = {40: {"RAILS_ENV": "production"}, 41: {"RAILS_ENV": "production"}}
    current = fake.releases[-1]
    fake.formation = [_formation(fake, "web", 2, web_cmd), _formation(fake, "worker", 1, worker_cmd)]
    now = T0 + timedelta(days=2, hours=1)
    fake.dynos = [
        _dyno(fake, "web.1", "up", current, web_cmd, updated=now), _dyno(fake, "web.2", "up", current, web_cmd, updated=now),
        _dyno(fake, "worker.1", "up", current, worker_cmd, updated=now),
    ]
    fake.addons = [
        _addon(fake, "postgresql-silent-90210", "heroku-postgresql", "heroku-postgresql:standard-0", "provisioned", ["DATABASE_URL"]),
        _addon(fake, "redis-cubic-31337", "heroku-redis", "heroku-redis:premium-0", "provisioned", ["REDIS_URL"]),
    ]
    fake.features = [_feature("log-runtime-metrics", True), _feature("preboot", True)]
    return fake


def build_world() -> World:
    """A fresh copy of every fixture app (tests may change it freely)."""
    apps = [_acme_shop(), _idle_api(), _loop_app(), _busy_shop()]
    return World(apps={fake.app["name"]: fake for fake in apps})
