"""deploy/: the container, Compose and Kubernetes files, checked without a Docker engine or a
cluster: against the Compose specification's schema (vendored by check-jsonschema) and the
Kubernetes JSON schemas (vendored by kubernetes-validate, strict: an unknown field fails), and
against the project itself (every SOSA_* variable exists; probes and ports agree with settings)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import kubernetes_validate
import pytest
import yaml

from sosa.infra.bus_provisioning import ProvisioningSettings
from sosa.intake.settings import IntakeSettings
from sosa.notifier.settings import NotifierSettings
from sosa.router.settings import RouterSettings

ROOT = Path(__file__).resolve().parents[3]
DEPLOY = ROOT / "deploy"
KUBERNETES = DEPLOY / "kubernetes"
SERVICES = {"intake": IntakeSettings, "router": RouterSettings, "notifier": NotifierSettings}
SETTINGS = [*SERVICES.values(), ProvisioningSettings]
KNOWN = {f"SOSA_{name.upper()}" for cls in SETTINGS for name in cls.model_fields}
KUBERNETES_VERSION = "1.31.0"


def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return loaded


def manifests() -> Iterator[tuple[str, dict[str, Any]]]:
    for path in sorted(KUBERNETES.glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        for document in yaml.safe_load_all(path.read_text()):
            yield path.name, document


def of_kind(kind: str) -> list[dict[str, Any]]:
    return [doc for _, doc in manifests() if doc["kind"] == kind]


def check_compose(path: Path) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "check_jsonschema", "--builtin-schema", "vendor.compose-spec"]
    return subprocess.run([*command, str(path)], capture_output=True, text=True)


def test_compose_follows_the_compose_specification() -> None:
    checked = check_compose(DEPLOY / "compose.yaml")
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_compose_schema_check_can_fail(tmp_path: Path) -> None:
    """The check above is real: a misspelt key is refused."""
    broken = compose()
    broken["services"]["intake"]["replicass"] = 2
    path = tmp_path / "broken-compose.yaml"
    path.write_text(yaml.safe_dump(broken))
    checked = check_compose(path)
    assert checked.returncode == 1
    assert "replicass" in checked.stdout + checked.stderr


def test_compose_runs_a_three_node_kraft_cluster_with_rf_3_and_min_isr_2() -> None:
    services = compose()["services"]
    brokers = {name: s["environment"] for name, s in services.items() if name.startswith("kafka")}
    assert len(brokers) == 3
    assert {env["KAFKA_NODE_ID"] for env in brokers.values()} == {"1", "2", "3"}
    for name, env in brokers.items():
        assert services[name]["image"].startswith("apache/kafka:")
        voters = {
            voter.split("@")[1].split(":")[0]
            for voter in env["KAFKA_CONTROLLER_QUORUM_VOTERS"].split(",")
        }
        assert voters == set(brokers)
        assert env["KAFKA_ADVERTISED_LISTENERS"] == f"SASL_PLAINTEXT://{name}:9092"
        assert services[name]["entrypoint"][-1] == "/opt/sosa/compose-broker.sh"
        assert env["KAFKA_ADMIN_PASSWORD"].startswith("${KAFKA_ADMIN_PASSWORD:?")
        assert env["KAFKA_DEFAULT_REPLICATION_FACTOR"] == "3"
        assert env["KAFKA_MIN_INSYNC_REPLICAS"] == "2"
        assert env["KAFKA_TRANSACTION_STATE_LOG_MIN_ISR"] == "2"
        assert set(env["KAFKA_PROCESS_ROLES"].split(",")) == {"broker", "controller"}
    assert len({env["CLUSTER_ID"] for env in brokers.values()}) == 1


def test_compose_runs_two_of_each_service_on_postgresql_from_one_image() -> None:
    services = compose()["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    for name in SERVICES:
        service = services[name]
        assert service["deploy"]["replicas"] == 2
        assert service["command"] == [f"sosa.{name}"]
        assert service["build"]["dockerfile"] == "deploy/Dockerfile"
        env = service["environment"]
        assert env[f"SOSA_{name.upper()}_DATABASE_URL"].startswith("postgresql+asyncpg://")
        assert env["SOSA_TOPIC_REPLICATION"] == "3"
        assert set(service["depends_on"]) == {
            "kafka-1",
            "kafka-2",
            "kafka-3",
            "postgres",
            "bus-provisioning",
        }
        assert env["SOSA_KAFKA_USERNAME"] == f"sosa-{name}"
        assert env["SOSA_KAFKA_PASSWORD"].startswith(f"${{KAFKA_{name.upper()}_PASSWORD:?")
        assert env["SOSA_KAFKA_SECURITY_PROTOCOL"] == "SASL_PLAINTEXT"
        port = env[f"SOSA_{name.upper()}_PORT"]
        assert f"127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
    init = (DEPLOY / "postgres" / "create-databases.sql").read_text()
    for name in SERVICES:
        database = services[name]["environment"][f"SOSA_{name.upper()}_DATABASE_URL"]
        assert f"CREATE DATABASE {database.rsplit('/', 1)[1]};" in init


def test_kubernetes_manifests_follow_the_kubernetes_schemas_strictly() -> None:
    checked = list(manifests())
    assert {doc["kind"] for _, doc in checked} >= {
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "ConfigMap",
        "Secret",
    }
    for name, doc in checked:
        try:
            kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)
        except kubernetes_validate.ValidationError as error:  # pragma: no cover - the failure
            pytest.fail(f"{name} {doc['kind']}/{doc['metadata']['name']}: {error.message}")


def test_the_kubernetes_schema_check_can_fail() -> None:
    deployment = of_kind("Deployment")[0]
    deployment["spec"]["template"]["spec"]["containers"][0]["readinesProbe"] = {"path": "/"}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_every_service_is_deployed_with_probes_resources_a_service_and_a_budget() -> None:
    settings = of_kind("ConfigMap")[0]["data"]
    deployments = {d["metadata"]["name"]: d for d in of_kind("Deployment")}
    services = {s["metadata"]["name"]: s for s in of_kind("Service")}
    budgets = {b["metadata"]["name"]: b for b in of_kind("PodDisruptionBudget")}
    assert set(deployments) == {f"sosa-{name}" for name in SERVICES}
    for name in SERVICES:
        deployment = deployments[f"sosa-{name}"]
        pod = deployment["spec"]["template"]
        labels = pod["metadata"]["labels"]
        assert deployment["spec"]["replicas"] >= 2
        assert deployment["spec"]["selector"]["matchLabels"].items() <= labels.items()
        (container,) = pod["spec"]["containers"]
        assert container["args"] == [f"sosa.{name}"]
        port = int(settings[f"SOSA_{name.upper()}_PORT"])
        assert container["ports"] == [{"name": "http", "containerPort": port, "protocol": "TCP"}]
        assert container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}
        assert container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}
        assert {"cpu", "memory"} <= set(container["resources"]["requests"])
        assert container["resources"]["limits"]["memory"]
        assert {
            ref.get("configMapRef", ref.get("secretRef"))["name"] for ref in container["envFrom"]
        } == {"sosa-settings", "sosa-secrets", f"sosa-kafka-{name}"}
        assert services[f"sosa-{name}"]["spec"]["selector"].items() <= labels.items()
        budget = budgets[f"sosa-{name}"]["spec"]
        assert budget["selector"]["matchLabels"].items() <= labels.items()
        assert budget["minAvailable"] < deployment["spec"]["replicas"]


def test_the_kustomization_lists_every_manifest() -> None:
    kustomization = yaml.safe_load((KUBERNETES / "kustomization.yaml").read_text())
    files = {p.name for p in KUBERNETES.glob("*.yaml")} - {"kustomization.yaml"}
    assert set(kustomization["resources"]) == files


def deployed_variables() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for name, service in compose()["services"].items():
        for variable in service.get("environment", {}):
            found.setdefault(variable, set()).add(f"compose.yaml {name}")
    for line in (DEPLOY / "compose.env.example").read_text().splitlines():
        if match := re.match(r"(SOSA_\w+)=", line):
            found.setdefault(match[1], set()).add("compose.env.example")
    for name, doc in manifests():
        for variable in {**doc.get("data", {}), **doc.get("stringData", {})}:
            found.setdefault(variable, set()).add(name)
    return {k: v for k, v in found.items() if k.startswith("SOSA_")}


def test_every_sosa_variable_the_deploy_files_set_is_a_setting() -> None:
    variables = deployed_variables()
    assert len(variables) > 20
    unknown = {name: where for name, where in variables.items() if name not in KNOWN}
    assert not unknown, f"not read by any service: {unknown}"


def test_the_image_installs_the_workspace_with_the_pinned_uv_and_runs_each_service() -> None:
    dockerfile = (DEPLOY / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(\S+)", dockerfile, flags=re.M):
        assert (ROOT / source).exists(), source
    pinned = re.search(r'UV_VERSION="([\d.]+)"', (ROOT / "scripts/bootstrap.sh").read_text())
    assert pinned
    assert f'"uv=={pinned[1]}"' in dockerfile
    assert "uv sync --frozen --no-dev" in dockerfile
    assert 'ENTRYPOINT ["python", "-m"]' in dockerfile
    for name in SERVICES:
        assert importlib.util.find_spec(f"sosa.{name}.__main__") is not None


def test_kubernetes_pods_reach_kafka_over_sasl_ssl_each_as_its_own_principal() -> None:
    settings = of_kind("ConfigMap")[0]["data"]
    assert settings["SOSA_KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert settings["SOSA_KAFKA_SASL_MECHANISM"] == "SCRAM-SHA-512"
    secrets = {s["metadata"]["name"]: s.get("stringData", {}) for s in of_kind("Secret")}
    for name in SERVICES:
        assert secrets[f"sosa-kafka-{name}"]["SOSA_KAFKA_USERNAME"] == f"sosa-{name}"
    assert secrets["sosa-kafka-admin"]["SOSA_KAFKA_USERNAME"] == "sosa-admin"
    assert "ca.crt" in secrets["sosa-kafka-ca"]
    pods = [d["spec"]["template"]["spec"] for d in of_kind("Deployment") + of_kind("Job")]
    for pod in pods:
        (container,) = pod["containers"]
        mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
        volume = mounts[settings["SOSA_KAFKA_SSL_CAFILE"].rsplit("/", 1)[0]]
        assert {"name": volume, "secret": {"secretName": "sosa-kafka-ca"}} in pod["volumes"]
        refs = {r.get("secretRef", {}).get("name") for r in container["envFrom"]}
        assert "sosa-kafka-admin" not in refs or container["args"] == [
            "sosa.infra.bus_provisioning"
        ]
