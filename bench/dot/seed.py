"""Seeds the tutorial project's SQLite for the bench and prints its fixtures as one JSON line.

usage: DOT_BENCH_DB=<file> python3 seed.py <users>
The same shape as bench/seed.ts: N users sharing one password hash (hashed once), 50 groups, a
confidential password client and a client_credentials client, one access token for the first user.
"""
import json
import os
import sys
import time
from datetime import timedelta

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tutorial.settings")
import django  # noqa: E402

django.setup()
from django.contrib.auth.hashers import check_password, make_password  # noqa: E402
from django.contrib.auth.models import Group, User  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.utils import timezone  # noqa: E402
from oauth2_provider.models import AccessToken, Application  # noqa: E402

PASSWORD = "bench password"
users = int(sys.argv[1])
call_command("migrate", verbosity=0)
hashed = make_password(PASSWORD)
User.objects.bulk_create(
    (User(username=f"user{i}", email=f"user{i}@example.com", password=hashed) for i in range(1, users + 1)),
    batch_size=5000,
)
Group.objects.bulk_create(Group(name=f"group{i}") for i in range(1, 51))
first = User.objects.get(username="user1")
apps = {}
for name, grant in (("password", Application.GRANT_PASSWORD), ("credentials", Application.GRANT_CLIENT_CREDENTIALS)):
    secret = f"{name}-secret"
    app = Application.objects.create(
        name=name,
        client_id=f"dot-{name}",
        client_secret=secret,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant,
        user=first,
    )
    apps[name] = {"clientId": app.client_id, "secret": secret}
token = AccessToken.objects.create(
    user=first,
    application=Application.objects.get(client_id="dot-password"),
    token="dot-bench-access-token",
    scope="read write groups",
    expires=timezone.now() + timedelta(days=1),
)
# Django's password check alone (PBKDF2-SHA256), on one core: what its password grant is made of.
started = time.perf_counter()
for _ in range(5):
    check_password(PASSWORD, hashed)
print(
    json.dumps(
        {
            "userPk": min(users, 500),
            "username": "user1",
            "password": PASSWORD,
            "accessToken": token.token,
            "clients": apps,
            "hashesPerSecond": 5 / (time.perf_counter() - started),
        }
    )
)
