"""Secrets planted in every text field of a bundle never reach any output of the real CLI.

Each run plants every secret of CORPUS in one group of fields (log lines, deploys and diffs,
the manifest), runs `main.py --bundle` and greps the report files, stdout and stderr for each
secret's distinctive part. A canary next to each planted secret proves the field was shown.
"""

import json
import shutil
from pathlib import Path

import pytest

import scenarios
from sources.bundle import export_bundle
from tests.helpers import NOW, cli, reports

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
B64_USER_PASSWORD = "YWRtaW46czNjcjN0UGFzcw=="  # admin:s3cr3tPass
# (secret as planted, its distinctive part). Vendor formats are assembled at run time so no
# literal here looks like a live credential to a secret scanner.
CORPUS = [
    ("postgres://app:Pgs3cretPw1@db:5432/orders", "Pgs3cretPw1"),
    ("mysql://root:p@ssW0rdAt@db/app", "ssW0rdAt"),
    ('dsn="app:GoDsnS3cret@tcp(mysql:3306)/orders"', "GoDsnS3cret"),
    ("https://deploy:Sl4sh/Pa55wd@git.internal/repo", "Pa55wd"),
    ("export DB_PASSWORD=EnvPassTr0ub4dor", "EnvPassTr0ub4dor"),
    ("password=correct horse battery staple", "horse battery staple"),
    ("db.password = ' quoted s3cret value'", "quoted s3cret"),
    ('{"password": "JsonPw9x!Kq"}', "JsonPw9x"),
    ("client_secret: ClientS3cr3tValue", "ClientS3cr3tValue"),
    ("--db-password FlagPassw0rd99", "FlagPassw0rd99"),
    ("mysql -u root -pMysqlFlagPw77 orders", "MysqlFlagPw77"),
    ("Authorization: Bearer 7f3c9a1e5b2d4f6a8c0eBEARER", "7f3c9a1e5b2d4f6a8c0e"),
    ("Authorization: Basic " + B64_USER_PASSWORD, B64_USER_PASSWORD[:16]),
    ("upstream rejected Basic " + B64_USER_PASSWORD, B64_USER_PASSWORD[:16]),
    ("X-Auth-Token: 0a1b2c3d4e5fXAUTH", "0a1b2c3d4e5fXAUTH"),
    ("session eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqd3RVc2VyIn0.SflKxwRJSMeKKF2QT4fw", "SflKxwRJSMeKK"),
    ("using AKIA" + "IOSFODNN7EXAMPLE for s3", "IOSFODNN7EXAMPLE"),
    ("aws_secret_access_key=" + AWS_SECRET, "bPxRfiCYEXAMPLEKEY"),
    ("aws credentials: key id AKIA" + "Q3EGZLQBFSR2ZZZZ secret " + AWS_SECRET, "K7MDENG"),
    ("calling sk-" + "proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv", "Ab3dEf6hIj9kLm2nOp5q"),
    ("anthropic sk-" + "ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf-AAA", "Zx9Yw8Vu7Ts6Rq5Po4Nm"),
    ("charge via sk_" + "live_4eC39HqLyjWDarjtT1zdp7dc", "4eC39HqLyjWDarjtT1"),
    (
        "clone https://gh" + "p_16C7e42F292c6912E7710c838347Ae178B4a@github.com/o/r",
        "16C7e42F292c6912E7",
    ),
    ("pat github_" + "pat_11ABCDEFG0123456789_abcdefghijklmnopqrs", "11ABCDEFG0123456789_abc"),
    ("gitlab gl" + "pat-xYz12AbCdEfGhIjKlMnO", "xYz12AbCdEfGhIjKlMnO"),
    ("slack xo" + "xb-2631234567-2641234567890-AbCdEfGhIjKlMnOp", "AbCdEfGhIjKlMnOp"),
    (
        "hook https://hooks.slack" + ".com/services/T0ABCDEF1/B0ABCDEF2/SlackHookTail1234",
        "SlackHookTail1234",
    ),
    ("maps AI" + "zaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI", "SyDdI0hCZtE6vySjMm"),
    (
        "DefaultEndpointsProtocol=https;AccountName=acct;"
        "AccountKey=QXp1cmVBY2NvdW50S2V5MTIzNDU2Nzg5MA==;EndpointSuffix=core.windows.net",
        "QXp1cmVBY2NvdW50S2V5",
    ),
    ("GET /c/b?sv=2021-06-08&sp=r&sig=SasSignatureAbc123%2Bxyz%3D", "SasSignatureAbc123"),
    (
        '{"auths": {"registry.example.com": {"auth": "ZG9ja2VyOmRvY2tlclBhc3M5OQ=="}}}',
        "ZG9ja2VyOmRvY2tlclBh",
    ),
    ("Cookie: sessionid=CookieSess9f8e7d6c5b4a; theme=dark", "CookieSess9f8e7d6c5b4a"),
    ("Set-Cookie: JSESSIONID=SetCookieABCDEF0123; Path=/; HttpOnly", "SetCookieABCDEF0123"),
    ("SG" + ".sendgridAbcdefghijklmn.SendGridSecretPartABCDEFGHIJKLMNOPQ", "SendGridSecretPart"),
    ("VAULT_TOKEN hv" + "s.CAESIVaultTokenSecretPart0123456789", "VaultTokenSecretPart"),
    (
        "//npm.example.com/:_authToken=np" + "m_NpmTokenSecretPart0123456789abcdef",
        "NpmTokenSecretPart",
    ),
    ("key sk-" + "proj-ZeroWidth\u200bSplitSecretPart0123", "SplitSecretPart0123"),
    ('"private_key_id": "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678"', "a1b2c3d4e5f6071829"),
    (
        '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvGcpPrivateKeyBody\\n'
        '-----END PRIVATE KEY-----\\n"',
        "MIIEvGcpPrivateKeyBody",
    ),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowPemBodyLineOne\n-----END RSA PRIVATE KEY-----",
        "MIIEowPemBodyLineOne",
    ),
    ("pypi-" + "AgEIcHlwaS5vcmcPyPiTokenSecretPart0123456789", "PyPiTokenSecretPart"),
    ("hf_" + "HuggingFaceTokenSecretPart0123456789", "HuggingFaceTokenSecretPart"),
    ("whsec_" + "StripeWebhookSecretPart0123", "StripeWebhookSecretPart"),
    ("PGPASSWORD=PgEnvS3cret psql -h db", "PgEnvS3cret"),
    ("token: tok_TokenKeySecret9a8b", "TokenKeySecret9a8b"),
]
CANARY = "zqcanary"


def _planted(k: int) -> str:
    return f"{CANARY}{k} {CORPUS[k][0]}"


@pytest.fixture(scope="module")
def exported(tmp_path_factory) -> Path:
    directory = tmp_path_factory.mktemp("corpus") / "bundle"
    store, expected = scenarios.get("checkout-config-bug").build(NOW, 42)
    export_bundle(store, directory, expected)
    return directory


def _plant_logs(bundle: Path) -> None:
    with (bundle / "logs.jsonl").open("a") as f:
        for k in range(len(CORPUS)):
            stamp = f"2026-03-15T14:{10 + k // 10:02d}:{k % 10 * 5:02d}Z"
            line = {"timestamp": stamp, "level": "ERROR"}
            # the service's own errors, an unknown service named with a secret, an attribute
            f.write(json.dumps(line | {"service": "checkout-service", "message": _planted(k)}))
            f.write("\n")
            service = f"svc-{k} {CORPUS[k][0]}".replace("\n", " ")
            f.write(json.dumps(line | {"service": service, "message": f"{CANARY}{k} down"}))
            f.write("\n")
            attrs = {"detail": _planted(k), "nested": {"x": [_planted(k)]}}
            message = f"checkout failed {CANARY}{k}"
            f.write(json.dumps(line | {"service": "checkout-service", "message": message} | attrs))
            f.write("\n")


def _plant_deploys(bundle: Path) -> None:
    deploys = json.loads((bundle / "deploys.json").read_text())
    for k, (secret, _) in enumerate(CORPUS):
        deploys.append(
            {
                "service": "checkout-service",
                "version": f"v9.{k}-{CANARY}{k} {secret}".replace("\n", " "),
                "commit": f"c0ffee{k:02d}",
                "deployed_at": f"2026-03-15T13:{48 + k // 30}:{k % 30 * 2:02d}Z",
                "author": _planted(k),
                "description": _planted(k),
            }
        )
        diff = f"--- a/app.env\n+++ b/app.env\n-old=1\n+{secret}\n+note={CANARY}{k}\n"
        (bundle / "diffs" / f"c0ffee{k:02d}.diff").write_text(diff)
    (bundle / "deploys.json").write_text(json.dumps(deploys))


def _plant_manifest(bundle: Path) -> None:
    doc = json.loads((bundle / "bundle.json").read_text())
    everything = "\n".join(_planted(k) for k in range(len(CORPUS)))
    doc["description"] = everything
    for i, spec in enumerate(doc["metrics"].values()):
        spec["description"] = everything
        spec["unit"] = _planted(i)  # units are short: a few per run, the rest in the next field
    for k in range(len(CORPUS)):
        doc["metrics"][f"quiet_{k}"] = {
            "service": f"quiet-{k} {CORPUS[k][0]}".replace("\n", " "),
            "unit": _planted(k),
            "description": _planted(k),
        }
    (bundle / "bundle.json").write_text(json.dumps(doc))


@pytest.mark.parametrize("plant", [_plant_logs, _plant_deploys, _plant_manifest])
def test_no_planted_secret_reaches_any_output(exported, tmp_path, plant):
    bundle = Path(shutil.copytree(exported, tmp_path / "bundle"))
    plant(bundle)
    run = cli(tmp_path, "--bundle", str(bundle), "--output-dir", "out", "--model", "offline")
    assert "Traceback" not in run.stderr, run.stderr[-3000:]
    written = reports(tmp_path / "out")
    assert written, run.stdout[-2000:] + run.stderr[-2000:]
    outputs = {p.name: p.read_text() for p in written}
    outputs |= {
        "stdout": run.stdout,
        "stderr": run.stderr,
        "json (decoded)": "\n".join(
            json.dumps(json.loads(outputs[p.name]), ensure_ascii=False)
            for p in written
            if p.suffix == ".json"
        ),
    }
    leaks = [
        f"{secret!r} in {name}"
        for secret, distinctive in CORPUS
        for name, text in outputs.items()
        if distinctive in text
    ]
    assert not leaks, leaks
    shown = sum(f"{CANARY}{k}" in "".join(outputs.values()) for k in range(len(CORPUS)))
    assert shown, "no planted field reached any output: the test would prove nothing"
