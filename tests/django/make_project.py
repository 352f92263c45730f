#!/usr/bin/python3
# Creates a small Django project in DIR (django-admin startproject, sqlite, a custom user model
# like the seed's with phone_number/address/role), migrates, creates users with several hashers
# and writes `manage.py dumpdata` to DIR/dump.json. Prints one JSON line per user:
# {"pk", "username", "password"}. Usage: make_project.py DIR
import json, os, subprocess, sys

d = sys.argv[1]
py = "/usr/bin/python3"
os.makedirs(d, exist_ok=True)
subprocess.run(["/usr/bin/django-admin", "startproject", "site_", d], check=True)
os.makedirs(os.path.join(d, "accounts", "migrations"))
open(os.path.join(d, "accounts", "__init__.py"), "w").close()
open(os.path.join(d, "accounts", "migrations", "__init__.py"), "w").close()
with open(os.path.join(d, "accounts", "models.py"), "w") as f:
    f.write('''from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    ROLES = [("CLIENT", "Client"), ("AGENT", "Agent"), ("SUPER_USER", "Super User")]
    phone_number = models.CharField(max_length=20, blank=True)
    address = models.CharField(max_length=255, blank=True)
    role = models.CharField(max_length=20, choices=ROLES, default="CLIENT")
    email_verified = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
''')
settings = os.path.join(d, "site_", "settings.py")
with open(settings, "a") as f:
    f.write('''
INSTALLED_APPS += ["accounts"]
AUTH_USER_MODEL = "accounts.User"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.BCryptPasswordHasher",
    "django.contrib.auth.hashers.MD5PasswordHasher",
]
''')
env = dict(os.environ, DJANGO_SETTINGS_MODULE="site_.settings", PYTHONPATH=d)
manage = os.path.join(d, "manage.py")
run = lambda *a, **k: subprocess.run([py, manage, *a], cwd=d, env=env, check=True, **k)
run("makemigrations", "accounts", stdout=subprocess.DEVNULL)
run("migrate", stdout=subprocess.DEVNULL)
script = r'''
import json
from django.contrib.auth import get_user_model
from django.contrib.auth import hashers as h
from django.contrib.auth.hashers import make_password, PBKDF2PasswordHasher, BCryptPasswordHasher
# Small costs keep the test quick (tests/django/make_hashes.py has Django's defaults).
class Sha1(h.PBKDF2SHA1PasswordHasher):
    iterations = 1500
class Argon(h.Argon2PasswordHasher):
    time_cost, memory_cost, parallelism = 2, 2048, 4
class BSha(h.BCryptSHA256PasswordHasher):
    rounds = 4
small = {"pbkdf2_sha1": Sha1(), "argon2": Argon(), "bcrypt_sha256": BSha()}
U = get_user_model()
rows = [
  ("alice", "alice@example.com", "Alice-pw-1", "pbkdf2_sha256", dict(role="CLIENT", phone_number="+33612345678", address="1 rue de Paris", first_name="Alice", last_name="Martin")),
  ("bob", "bob@Example.COM", "Bob-pw-2", "pbkdf2_sha1", dict(role="AGENT")),
  ("carol", "carol@example.com", "Carol-pw-3", "argon2", dict(role="CLIENT")),
  ("dave", "dave@example.com", "Dave-pw-4", "bcrypt_sha256", dict(role="CLIENT", is_active=False)),
  ("erin", "erin@example.com", "Erin-pw-5", "bcrypt", dict(role="CLIENT")),
  ("frank", "frank@example.com", "Frank-pw-6", "md5", dict(role="CLIENT")),
]
for username, email, pw, hasher, extra in rows:
    u = U(username=username, email=email, **extra)
    if hasher == "pbkdf2_sha256":
        u.password = PBKDF2PasswordHasher().encode(pw, PBKDF2PasswordHasher().salt(), 2000)
    elif hasher in ("bcrypt",):
        class Small(BCryptPasswordHasher):
            rounds = 4
        u.password = make_password(pw, hasher=Small())
    else:
        u.password = make_password(pw, hasher=small.get(hasher, hasher))
    u.save()
    print(json.dumps({"pk": u.pk, "username": username, "password": pw}))
su = U.objects.create_superuser("root", "root@example.com", None)
su.password = make_password("Root-pw-7", hasher=Sha1())
su.role = "SUPER_USER"; su.save()
print(json.dumps({"pk": su.pk, "username": "root", "password": "Root-pw-7"}))
'''
run("shell", "-c", script)
with open(os.path.join(d, "dump.json"), "w") as f:
    run("dumpdata", "--indent", "2", stdout=f)
