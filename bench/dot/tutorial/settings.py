"""django-oauth-toolkit's DRF tutorial project, minimal, for `npm run bench -- --dot` (bench/dot.ts).

Only what the tutorial's users/groups API and /o/token/ need: no admin, no sessions, no templates.
SQLite in the file DOT_BENCH_DB names; DEBUG off, as a deployment would run it.
"""
import os

SECRET_KEY = "bench-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
ROOT_URLCONF = "tutorial.urls"
USE_TZ = True

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "oauth2_provider",
    "rest_framework",
]
MIDDLEWARE = ["django.middleware.common.CommonMiddleware"]
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DOT_BENCH_DB", "/tmp/dot-bench.sqlite3"),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

# The tutorial's scopes and DRF's authentication through the toolkit.
OAUTH2_PROVIDER = {"SCOPES": {"read": "Read scope", "write": "Write scope", "groups": "Access to your groups"}}
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ("oauth2_provider.contrib.rest_framework.OAuth2Authentication",),
}
LOGGING = {"version": 1, "disable_existing_loggers": True}
