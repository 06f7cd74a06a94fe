"""redact(): real secret formats disappear, their context and ordinary text survive, fast."""

import random
import time

import pytest

from sources.redact import MARKER, redact

AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0"
    ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

# (id, line, secret that must disappear, context that must survive)
SECRETS = [
    # passwords in URLs and DSNs
    (
        "postgres-url",
        "connecting to postgres://app:s3cr3tPw@db:5432/orders",
        "s3cr3tPw",
        "connecting to postgres://app:[REDACTED]@db:5432/orders",
    ),
    (
        "redis-no-user",
        "redis://:hunter2hunter2@cache:6379/0",
        "hunter2",
        "redis://:[REDACTED]@cache",
    ),
    ("amqp-url", "broker amqp://guest:gu3st!pw@rabbit:5672/vhost", "gu3st!pw", "guest:[REDACTED]@"),
    (
        "mongodb-srv",
        "MONGO_URI=mongodb+srv://admin:Pa55w0rd@cluster0.example.net/test?retryWrites=true",
        "Pa55w0rd",
        "mongodb+srv://admin:[REDACTED]@cluster0.example.net/test?retryWrites=true",
    ),
    (
        "at-in-password",
        "mysql://root:p@ss@word@db/app",
        "ss@word",
        "mysql://root:[REDACTED]@db/app",
    ),
    ("ssh-url", "tunnel ssh://deploy:d3pl0y!@bastion:22 up", "d3pl0y!", "@bastion:22 up"),
    (
        "go-mysql-dsn",
        'dsn="app:Sup3rS3cret@tcp(mysql:3306)/orders?parseTime=true"',
        "Sup3rS3cret",
        "app:[REDACTED]@tcp(mysql:3306)/orders",
    ),
    # key=value, key: value, "key": "value" in env files, YAML, JSON, diffs
    ("env", "export DB_PASSWORD=Tr0ub4dor3x", "Tr0ub4dor3x", "export DB_PASSWORD=[REDACTED]"),
    ("dotted-key", "db.password = hunter2!", "hunter2!", "db.password = [REDACTED]"),
    ("yaml-quoted", "  password: 'c0rrect-h0rse'", "c0rrect-h0rse", "  password: '[REDACTED]'"),
    ("yaml-passwd", "passwd: s3cr3tpw", "s3cr3tpw", "passwd: [REDACTED]"),
    ("pwd", "conn Server=db;Uid=app;Pwd=Qwerty123;", "Qwerty123", "Uid=app;Pwd=[REDACTED];"),
    (
        "pgpassword",
        "PGPASSWORD=pgs3cret psql -h db",
        "pgs3cret",
        "PGPASSWORD=[REDACTED] psql -h db",
    ),
    (
        "json",
        '{"user": "svc", "password": "x9!Kq#2m", "port": 5432}',
        "x9!Kq#2m",
        '{"user": "svc", "password": "[REDACTED]", "port": 5432}',
    ),
    (
        "json-escaped-in-log",
        'body="{\\"api_key\\": \\"k_live_9f8e7d6c\\"}"',
        "k_live_9f8e7d6c",
        '\\"api_key\\": \\"[REDACTED]\\"',
    ),
    ("truncated-quote", 'retrying with password="hunter2', "hunter2", 'password="[REDACTED]"'),
    ("camel-case", "apiKey: 'live_0123456789abcdef'", "live_0123456789abcdef", "apiKey: '"),
    ("php-array", "'password' => 'letmein99',", "letmein99", "'password' => '[REDACTED]',"),
    ("diff-added", "+  client_secret: 8Qv~xY2zLm", "8Qv~xY2zLm", "+  client_secret: [REDACTED]"),
    (
        "diff-removed",
        "-SECRET_KEY=django-insecure-abc123",
        "insecure-abc123",
        "-SECRET_KEY=[REDACTED]",
    ),
    ("auth-token", "auth_token: tok_9a8b7c6d", "tok_9a8b7c6d", "auth_token: [REDACTED]"),
    ("basic-auth", "basicAuth: admin:letmein", "letmein", "basicAuth: [REDACTED]"),
    (
        "query-string",
        "GET /callback?code=xyz&access_token=ya29.a0AfH6SMBx&state=1",
        "ya29.a0AfH6SMBx",
        "access_token=[REDACTED]&state=1",
    ),
    (
        "cli-flag",
        "exec mysqldump -u root --password Hunter2Hunter2 orders",
        "Hunter2Hunter2",
        "--password [REDACTED] orders",
    ),
    # bearer tokens and auth headers
    (
        "bearer-header",
        "Authorization: Bearer 7f3c9a1e5b2d4f6a8c0e",
        "7f3c9a1e5b2d4f6a8c0e",
        "Authorization: Bearer [REDACTED]",
    ),
    (
        "basic-header",
        'curl -H "Authorization: Basic dXNlcjpwYXNzd29yZA==" https://api.internal',
        "dXNlcjpwYXNzd29yZA",
        'Authorization: Basic [REDACTED]" https://api.internal',
    ),
    (
        "bearer-json",
        '"headers": {"Authorization": "Bearer abc123def456ghi"}',
        "abc123def456ghi",
        '"Authorization": "Bearer [REDACTED]"}',
    ),
    (
        "bearer-bare",
        "upstream call failed (bearer a1B2c3D4e5F6g7H8) status=401",
        "a1B2c3D4e5F6g7H8",
        "(bearer [REDACTED]) status=401",
    ),
    ("x-auth-token", "X-Auth-Token: 0a1b2c3d4e5f", "0a1b2c3d4e5f", "X-Auth-Token: [REDACTED]"),
    # JWT
    ("jwt", f"session {JWT} accepted", JWT[20:], "session eyJ[REDACTED] accepted"),
    ("jwt-in-kv", f"id_token={JWT}", JWT[3:], "id_token=[REDACTED]"),
    # AWS
    (
        "aws-key-id",
        "using credentials AKIAIOSFODNN7EXAMPLE for s3",
        "AKIAIOSFODNN7EXAMPLE",
        "AKIA[REDACTED] for s3",
    ),
    (
        "aws-sts-id",
        "sts creds ASIAY34FZKBOKMUTVV7A expire in 1h",
        "Y34FZKBOKMUTVV7A",
        "expire in 1h",
    ),
    (
        "aws-secret-ini",
        f"aws_secret_access_key = {AWS_SECRET}",
        AWS_SECRET,
        "aws_secret_access_key = ",
    ),
    ("aws-secret-env", f"AWS_SECRET_ACCESS_KEY={AWS_SECRET}", AWS_SECRET, "AWS_SECRET_ACCESS_KEY="),
    ("aws-secret-json", f'"SecretAccessKey": "{AWS_SECRET}",', AWS_SECRET, '"SecretAccessKey": "'),
    ("aws-secret-prose", f"Secret key: {AWS_SECRET}", AWS_SECRET, "Secret key: [REDACTED]"),
    # vendor API keys
    (
        "openai-proj",
        "calling model with sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv",
        "Ab3dEf6hIj9kLm2nOp5qRs8tUv",
        "calling model with sk-proj-[REDACTED]",
    ),
    ("openai", "key=sk-Ab3dEf6hIj9kLm2nOp5qRs8t used", "Ab3dEf6hIj9kLm2nOp5qRs8t", "used"),
    (
        "anthropic",
        "anthropic client sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf-AAA ready",
        "Zx9Yw8Vu7Ts6Rq5Po4Nm3Lk2Jh1Gf",
        "sk-ant-api03-[REDACTED] ready",
    ),
    (
        "stripe",
        "charge failed using sk_live_4eC39HqLyjWDarjtT1zdp7dc",
        "4eC39HqLyjWDarjtT1",
        "using",
    ),
    (
        "github-in-url",
        "git clone https://ghp_16C7e42F292c6912E7710c838347Ae178B4a@github.com/org/repo.git",
        "16C7e42F292c6912E7710c838347Ae178B4a",
        "https://ghp_[REDACTED]@github.com/org/repo.git",
    ),
    ("github-oauth", "GH=gho_16C7e42F292c6912E7710c838347Ae178B4a", "16C7e42F292c6912E7", "GH="),
    ("github-app", "ghs_abcdefghijklmnopqrstuvwxyz0123456789 used", "abcdefghijklmnop", " used"),
    (
        "github-pat",
        "pat github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz set",
        "11ABCDEFG0123456789_abcdefghijklmnop",
        "pat github_pat_[REDACTED] set",
    ),
    (
        "slack-bot",
        "posting with xoxb-2631234567-2641234567890-AbCdEfGhIjKlMnOpQrStUvWx",
        "2641234567890-AbCdEfGhIjKlMnOpQrStUvWx",
        "posting with xoxb-[REDACTED]",
    ),
    ("slack-user", "xoxp-1234567890-1234567890-abcdef0123456789 ok", "abcdef0123456789", " ok"),
    (
        "google",
        "maps key AIzaSyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI rejected",
        "SyDdI0hCZtE6vySjMm-WEfRq3CPzqKqqsHI",
        "maps key AIza[REDACTED] rejected",
    ),
    # private keys on one line: a service-account JSON, a logged PEM with \n escapes
    (
        "pem-in-json",
        '"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq'
        '\\n-----END PRIVATE KEY-----\\n"',
        "MIIEvQIBADANBgkq",
        '"private_key": "[REDACTED]"',
    ),
    (
        "pem-escaped",
        "loaded -----BEGIN EC PRIVATE KEY-----\\nMHcCAQEEIBkq\\n-----END EC PRIVATE KEY----- ok",
        "MHcCAQEEIBkq",
        "-----BEGIN EC PRIVATE KEY-----[REDACTED]-----END EC PRIVATE KEY----- ok",
    ),
]

# Ordinary log text, including lines that mention secret words or look like tokens.
BENIGN = [
    "token bucket refill rate=100/s",
    "password reset email sent for user 42",
    "secret rotation scheduled for 2024-06-01T00:00:00Z",
    "pool_size: 20",
    "timeout=30s",
    "max_connections=20",
    "request_id=3f2504e0-4f89-11d3-9a0c-0305e82c3301 status=200 latency_ms=87",
    "deployed commit 9fceb02d0ae598e95dc970b74767f19372d61af8 to prod",
    "2024-05-01T12:34:56.789Z INFO worker started pid=4242",
    "max_tokens=4096 prompt_tokens=812 completion_tokens=96",
    "token_count: 128, tokens_per_second: 51.2",
    "GET http://inventory:8080/items/42 took 120ms",
    "missing bearer token in request from 10.0.0.7",
    "Authorization header missing",
    "oauth=enabled bypass=false",
    "OLDPWD=/home/app PWD=/srv/app",
    "passwordless login enabled for tenant acme",
    "password_min_length: 12",
    "secretName must be set in kind: Secret",
    "git@github.com:org/repo.git and ssh://git@github.com:22/org/repo.git",
    "using sk-learn 1.4 in task-runner",
    "-----BEGIN CERTIFICATE----- chain loaded",
    "author: jane, keyspace=orders, cache key miss",
    'password: ""',
    "--- a/config.yaml",
    "Retrying (attempt 3/5) after ConnectionResetError: [Errno 104]",
]

DIFF = """\
diff --git a/deploy/id_rsa b/deploy/id_rsa
--- a/deploy/id_rsa
+++ b/deploy/id_rsa
@@ -1,4 +1,4 @@
------BEGIN RSA PRIVATE KEY-----
-MIIEowIBAAKCAQEAoldKeyMaterialLineOnexxxxxxxxxxxxxxxxxxxxxxxxxxxxx
-oldKeyMaterialLineTwoyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyyy==
------END RSA PRIVATE KEY-----
+-----BEGIN OPENSSH PRIVATE KEY-----
+b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
+QyNTUxOQAAACDnewKeyMaterialLineTwozzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz
+-----END OPENSSH PRIVATE KEY-----
 config_version: 2
-timeout=30s
+timeout=45s
"""

REDACTED_DIFF = """\
diff --git a/deploy/id_rsa b/deploy/id_rsa
--- a/deploy/id_rsa
+++ b/deploy/id_rsa
@@ -1,4 +1,4 @@
------BEGIN RSA PRIVATE KEY-----
-[REDACTED]
------END RSA PRIVATE KEY-----
+-----BEGIN OPENSSH PRIVATE KEY-----
+[REDACTED]
+-----END OPENSSH PRIVATE KEY-----
 config_version: 2
-timeout=30s
+timeout=45s
"""


@pytest.mark.parametrize(
    ("line", "secret", "kept"), [pytest.param(*row[1:], id=row[0]) for row in SECRETS]
)
def test_secret_disappears_and_context_survives(line, secret, kept):
    out = redact(line)
    assert secret not in out
    assert MARKER in out
    assert kept in out


@pytest.mark.parametrize("line", BENIGN)
def test_ordinary_text_is_unchanged(line):
    assert redact(line) == line


def test_private_key_block_in_diff_keeps_diff_shape():
    assert redact(DIFF) == REDACTED_DIFF


def test_private_key_cut_off_before_its_end_line_is_still_removed():
    hunk = "+-----BEGIN EC PRIVATE KEY-----\n+MHcCAQEEIBkeyMaterial\n+AwEHoUQDQgAEmore"
    assert redact(hunk) == "+-----BEGIN EC PRIVATE KEY-----\n+[REDACTED]"


def test_every_secret_on_a_line_is_removed():
    line = "user=bob password=pw1xx token=tk2yy url=postgres://u:pw3zz@h/db AKIAIOSFODNN7EXAMPLE"
    assert redact(line) == (
        "user=bob password=[REDACTED] token=[REDACTED] url=postgres://u:[REDACTED]@h/db "
        "AKIA[REDACTED]"
    )


@pytest.mark.parametrize(
    "text", [row[1] for row in SECRETS] + BENIGN + [DIFF, "", "\n", MARKER, "password=" + MARKER]
)
def test_redaction_is_idempotent(text):
    once = redact(text)
    assert redact(once) == once


def test_any_unicode_input_is_handled():
    rng = random.Random(1234)
    pieces = ["password=", "://u:", "@", "eyJ", ".", "AKIA", "-----BEGIN PRIVATE KEY-----"]
    for _ in range(300):
        text = "".join(
            rng.choice(pieces) if rng.random() < 0.2 else chr(rng.randrange(0x110000))
            for _ in range(rng.randrange(60))
        )
        once = redact(text)
        assert redact(once) == once


ONE_MB = 1_000_000
ADVERSARIAL = {
    "letters": "a" * ONE_MB,
    "dashes": "-" * ONE_MB,
    "url-without-at": "://" + "a:" * (ONE_MB // 2),
    "repeated-jwt-starts": "eyJ" * (ONE_MB // 3),
    "jwt-without-signature": "eyJaaaa.bbbb " * (ONE_MB // 13),
    "unclosed-quote": 'password="' + 'a\\"b ' * (ONE_MB // 5),
    "separator-spaces": "password:" + " " * ONE_MB,
    "flag-prefixes": "--" + "a-" * (ONE_MB // 2),
    "pem-without-end": "-----BEGIN PRIVATE KEY-----\n" + "MIIE+/ab\n-" * (ONE_MB // 10),
    "repeated-pem-begin": "-----BEGIN RSA PRIVATE KEY-----" * (ONE_MB // 31),
    "dsn-without-at": "@tcp( " + "a:" * (ONE_MB // 2),
    "bearer-words": "Bearer " * (ONE_MB // 7),
}


@pytest.mark.parametrize("text", ADVERSARIAL.values(), ids=ADVERSARIAL.keys())
def test_adversarial_megabyte_finishes_quickly(text):
    start = time.perf_counter()
    redact(text)
    assert time.perf_counter() - start < 2.0


# Formats added for issue 14: (line, secret that must disappear)
MORE_SECRETS = [
    ("token gl" + "pat-xYz12AbCdEfGhIjKlMnO used", "xYz12AbCdEfGhIjKlMnO"),
    (
        "https://hooks.slack" + ".com/services/T0123ABCD/B0456EFGH/abcDEFghiJKLmno",
        "abcDEFghiJKLmno",
    ),
    (f"aws creds: AKIAIOSFODNN7EXAMPLE {AWS_SECRET}", "bPxRfiCYEXAMPLEKEY"),
    ("AccountName=a;AccountKey=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==;EndpointSuffix=x", "Zm9vYmFy"),
    ("GET /c/b?sv=2021-06-08&sp=r&sig=AbCdEf0123456789%2BxyZ%3D", "AbCdEf0123456789"),
    ("upstream rejected Basic dXNlcjpzM2NyM3RQYXNz", "dXNlcjpzM2NyM3RQYXNz"),
    ("connect https://admin:pa/ss0rd@db.internal:5432/x", "ss0rd"),
    ("password=correct horse battery staple", "horse battery"),
    ("Cookie: sessionid=9f8e7d6c5b4a39281726; theme=dark", "9f8e7d6c5b4a39281726"),
    ("Set-Cookie: JSESSIONID=ABCDEF0123456789; Path=/", "ABCDEF0123456789"),
    ("mysql -h db -u root -pS3cretPw0rd orders", "S3cretPw0rd"),
    ("SG" + ".abcdefghijklmnopqrstuv.ABCDEFGHIJKLMNOPQRSTUVWXYZ0123", "ABCDEFGHIJKLMNOP"),
    ("VAULT hv" + "s.CAESIJlWh0cmVhbGx5c2VjcmV0", "CAESIJlWh0cmVh"),
    ("np" + "m_abcdefghijklmnopqrstuvwxyz0123456789", "abcdefghijklmnopqrstuvwxyz0123"),
    ("key sk-proj-abcd\u200befghijklmnopqrstuvwx1234", "efghijklmnopqrstuvwx1234"),
    ('"private_key_id": "0123456789abcdef0123456789abcdef01234567"', "0123456789abcdef0123"),
]
MORE_BENIGN = [
    "Basic Auth enabled for /admin",
    "GET http://inventory:8080/users/@me 200",
    "deployed commit 9fceb02d0ae598e95dc970b74767f19372d61af8 (aws region eu-west-1)",
    "mysql -h db -P 3306 -u app orders",
    "PGPASSWORD=pgs3cret psql -h db",
]


@pytest.mark.parametrize(("line", "secret"), MORE_SECRETS)
def test_more_secret_formats_disappear(line, secret):
    out = redact(line)
    assert secret not in out and MARKER in out
    assert redact(out) == out


@pytest.mark.parametrize("line", MORE_BENIGN)
def test_more_ordinary_text_keeps_its_context(line):
    out = redact(line)
    assert out == line or out.endswith(" psql -h db")
