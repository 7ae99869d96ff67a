"""Apply the access plan to a secured broker through the Admin API (confluent-kafka/librdkafka).

SCRAM users (AlterUserScramCredentials, KIP-554) and ACLs (CreateAcls) are created when
missing; nothing is ever deleted. Like ``topics apply``, a second run changes nothing and
reports drift: ACLs the broker holds for a planned principal that the plan does not have,
and users that exist on the broker without a stored credential (re-keyed).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import structlog
from confluent_kafka import KafkaException
from confluent_kafka.admin import (
    AclBinding,
    AclBindingFilter,
    AclOperation,
    AclPermissionType,
    AdminClient,
    ResourcePatternType,
    ResourceType,
    ScramCredentialInfo,
    ScramMechanism,
    UserScramCredentialUpsertion,
)

from gateway.broker.secure import SCRAM_ITERATIONS, Credential, CredentialStore
from gateway.errors import SetupError
from gateway.kafka.access import Acl, Principal
from gateway.kafka.clients import librdkafka_config
from gateway.settings import Settings

__all__ = ["AccessResult", "apply_access", "librdkafka_admin"]

log = structlog.get_logger(__name__)

UserStatus = Literal["created", "exists", "would-create", "rekeyed", "would-rekey", "failed"]

_RESOURCE = {
    "topic": ResourceType.TOPIC,
    "group": ResourceType.GROUP,
    "transactional_id": ResourceType.TRANSACTIONAL_ID,
    "cluster": ResourceType.BROKER,  # librdkafka's name for the cluster resource
}
_PATTERN = {"literal": ResourcePatternType.LITERAL, "prefixed": ResourcePatternType.PREFIXED}
_OPERATION = {
    "read": AclOperation.READ,
    "write": AclOperation.WRITE,
    "describe": AclOperation.DESCRIBE,
    "idempotent_write": AclOperation.IDEMPOTENT_WRITE,
}
_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class AccessResult:
    """What ``apply_access`` did for one principal."""

    principal: Principal
    user: UserStatus
    created: tuple[Acl, ...] = ()  # ACLs created (or, in a dry run, to create)
    extra: tuple[str, ...] = field(default_factory=tuple)  # broker ACLs not in the plan
    error: str | None = None

    @property
    def changed(self) -> bool:
        return bool(self.created) or self.user not in ("exists",)

    @property
    def drift(self) -> bool:
        return bool(self.extra) or self.user in ("rekeyed", "would-rekey")


def _binding(acl: Acl) -> AclBinding:
    return AclBinding(
        _RESOURCE[acl.resource],
        acl.name,
        _PATTERN[acl.pattern],
        f"User:{acl.principal}",
        "*",
        _OPERATION[acl.operation],
        AclPermissionType.ALLOW,
    )


def _describe(binding: Any) -> str:
    return (
        f"{binding.permission_type.name} {binding.principal} {binding.operation.name} "
        f"{binding.restype.name}:{binding.name} ({binding.resource_pattern_type.name})"
    )


def librdkafka_admin(settings: Settings, **extra: Any) -> AdminClient:
    """A confluent-kafka admin client with the connection of ``settings`` (plus ``extra``
    librdkafka properties)."""
    # Passwords stay out of librdkafka's own logs: it logs no configuration by default.
    return AdminClient(librdkafka_config(settings) | {"socket.timeout.ms": "15000"} | extra)


def _wait(future: Any, doing: str) -> Any:
    try:
        return future.result(timeout=_TIMEOUT_S)
    except KafkaException as error:
        kafka_error = error.args[0] if error.args else None
        name = kafka_error.name() if kafka_error is not None else type(error).__name__
        text = kafka_error.str() if kafka_error is not None else str(error)
        hint = "Run it as the admin super-user (`frontline access credentials admin`)."
        if name == "SECURITY_DISABLED":
            hint = "This broker has no authorizer: start a secured one (`broker up --secure`)."
        raise SetupError(f"Kafka refused to {doing}: {name}: {text}", hint=hint) from None
    except TimeoutError:
        raise SetupError(
            f"Kafka did not answer within {_TIMEOUT_S:.0f}s while trying to {doing}.",
            hint="Check the bootstrap address, the CA file and the admin credentials.",
        ) from None


def apply_access(
    principals: Sequence[Principal],
    settings: Settings,
    store: CredentialStore,
    *,
    dry_run: bool = False,
) -> list[AccessResult]:
    """Create missing SCRAM users (credentials stored 0600 in ``store``) and ACLs."""
    admin = librdkafka_admin(settings)
    users = _wait(admin.describe_user_scram_credentials(), "describe SCRAM users")
    have_users = {
        name
        for name, description in users.items()
        if any(
            i.mechanism == ScramMechanism.SCRAM_SHA_512 for i in description.scram_credential_infos
        )
    }
    everything = AclBindingFilter(
        ResourceType.ANY, None, ResourcePatternType.ANY, None, None,
        AclOperation.ANY, AclPermissionType.ANY,
    )  # fmt: skip
    on_broker = _wait(admin.describe_acls(everything), "describe ACLs")
    by_principal: dict[str, set[Any]] = {}
    for binding in on_broker:
        by_principal.setdefault(binding.principal, set()).add(binding)

    upserts: list[tuple[Principal, Credential]] = []
    results: dict[str, AccessResult] = {}
    wanted_bindings: list[tuple[Principal, AclBinding]] = []
    for principal in principals:
        stored = store.get(principal.name)
        exists = principal.name in have_users
        user: UserStatus = "exists"
        if stored is None or not exists:
            if stored is None and exists:
                user = "would-rekey" if dry_run else "rekeyed"
            else:
                user = "would-create" if dry_run else "created"
            if not dry_run:
                upserts.append((principal, stored or store.issue(principal.name)))
        planned = {_binding(a): a for a in principal.acls}
        present = by_principal.get(f"User:{principal.name}", set())
        missing = tuple(a for b, a in planned.items() if b not in present)
        extra = tuple(sorted(_describe(b) for b in present if b not in planned))
        wanted_bindings += [(principal, _binding(a)) for a in missing]
        results[principal.name] = AccessResult(principal, user, missing, extra)
    if dry_run:
        return [results[p.name] for p in principals]
    _upsert(admin, upserts, results)
    _create_acls(admin, wanted_bindings, results)
    return [results[p.name] for p in principals]


def _upsert(
    admin: AdminClient,
    upserts: list[tuple[Principal, Credential]],
    results: dict[str, AccessResult],
) -> None:
    if not upserts:
        return
    info = ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, SCRAM_ITERATIONS)
    alterations = [
        UserScramCredentialUpsertion(c.username, info, c.password.encode()) for _, c in upserts
    ]
    futures = admin.alter_user_scram_credentials(alterations)
    log.info("scram_users_upserting", count=len(alterations))
    for principal, credential in upserts:
        try:
            _wait(futures[credential.username], f"create the SCRAM user {credential.username}")
            log.debug("scram_user_upserted", principal=credential.username)
        except SetupError as error:
            results[principal.name] = replace(
                results[principal.name], user="failed", error=error.message
            )


def _create_acls(
    admin: AdminClient,
    wanted: list[tuple[Principal, AclBinding]],
    results: dict[str, AccessResult],
) -> None:
    if not wanted:
        return
    futures = admin.create_acls([b for _, b in wanted])
    for principal, binding in wanted:
        try:
            _wait(futures[binding], f"create an ACL for {principal.name}")
        except SetupError as error:
            results[principal.name] = replace(
                results[principal.name], user="failed", error=error.message
            )
    log.info("acls_created", count=len(wanted))
