"""Resolves the pinned Kafka jars with Maven, once, into a cache shared by all runs."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import structlog

from gateway._resources import resource_path
from gateway.errors import SetupError

__all__ = ["KafkaRuntime", "check_java", "resolve_runtime"]

log = structlog.get_logger(__name__)

MIN_JAVA = 17


@dataclass(frozen=True)
class KafkaRuntime:
    """A resolved Kafka installation: the java binary, the jar folder and the config files."""

    java: str
    lib_dir: Path
    config_dir: Path
    kafka_version: str

    @property
    def classpath(self) -> str:
        """Every jar of the runtime, as a java class path."""
        return os.pathsep.join(str(p) for p in sorted(self.lib_dir.glob("*.jar")))


def _cache_root() -> Path:
    override = os.environ.get("FRONTLINE_CACHE_DIR")
    if override:
        return Path(override)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "frontline"


def check_java() -> str:
    """The java binary to use, or a SetupError naming what to install."""
    java_home = os.environ.get("JAVA_HOME")
    java = str(Path(java_home) / "bin" / "java") if java_home else shutil.which("java")
    if not java or not Path(java).exists():
        raise SetupError(
            "Java was not found on PATH.",
            hint=f"Install Java {MIN_JAVA}+ (Debian: apt-get install openjdk-17-jre-headless).",
        )
    out = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    match = re.search(r'version "(\d+)(?:\.(\d+))?', out.stderr + out.stdout)
    if not match:
        raise SetupError(f"Could not read the version of {java}.", hint="Check that it runs.")
    major = int(match.group(1))
    if major == 1 and match.group(2):  # "1.8" style
        major = int(match.group(2))
    if major < MIN_JAVA:
        raise SetupError(
            f"Java {major} found at {java}; Kafka 4 needs Java {MIN_JAVA} or newer.",
            hint=f"Install Java {MIN_JAVA}+ and put it first on PATH, or set JAVA_HOME.",
        )
    return java


def _pom_digest(pom: Path) -> str:
    return hashlib.sha256(pom.read_bytes()).hexdigest()[:12]


def _kafka_version(lib_dir: Path) -> str:
    for jar in lib_dir.glob("kafka_2.13-*.jar"):
        return jar.name.removeprefix("kafka_2.13-").removesuffix(".jar")
    raise SetupError(f"No kafka_2.13 jar in {lib_dir}.", hint=f"Delete {lib_dir} and run again.")


def resolve_runtime() -> KafkaRuntime:
    """Resolve the jars pinned in ``deploy/kafka/pom.xml`` once, then reuse the cache."""
    java = check_java()
    config_dir = resource_path("kafka")
    pom = config_dir / "pom.xml"
    lib_dir = _cache_root() / f"kafka-{_pom_digest(pom)}" / "lib"
    if lib_dir.is_dir() and any(lib_dir.glob("kafka_2.13-*.jar")):
        return KafkaRuntime(java, lib_dir, config_dir, _kafka_version(lib_dir))
    mvn = shutil.which("mvn")
    if mvn is None:
        raise SetupError(
            "Maven (mvn) was not found on PATH; it resolves the Kafka jars once.",
            hint="Install Maven (Debian: apt-get install maven) and run again.",
        )
    lib_dir.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="lib-", dir=lib_dir.parent))
    log.info("resolving kafka jars", pom=str(pom), into=str(lib_dir))
    cmd = [
        mvn,
        "-q",
        "-B",
        "-f",
        str(pom),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={staging}",
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        shutil.rmtree(staging, ignore_errors=True)
        tail = "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])
        raise SetupError(
            f"Maven could not resolve the Kafka jars:\n{tail}",
            hint="Check that Maven Central is reachable (proxy settings in ~/.m2/settings.xml).",
        )
    try:
        staging.rename(lib_dir)
    except OSError:  # another process finished first: use its copy
        shutil.rmtree(staging, ignore_errors=True)
    return KafkaRuntime(java, lib_dir, config_dir, _kafka_version(lib_dir))
