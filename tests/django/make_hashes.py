#!/usr/bin/python3
# Prints one JSON line {"algorithm", "password", "encoded"} per Django hasher, made by the real
# Django (Debian's python3-django) at test time; scrypt (Django >= 4.0) from hashlib.scrypt in
# Django 4's format. Costs are small except one pbkdf2 at Django 3.2's default 260,000.
import base64, hashlib, json, sys

import django
from django.conf import settings

settings.configure(PASSWORD_HASHERS=["django.contrib.auth.hashers." + n for n in (
    "PBKDF2PasswordHasher", "PBKDF2SHA1PasswordHasher", "Argon2PasswordHasher",
    "BCryptSHA256PasswordHasher", "BCryptPasswordHasher", "SHA1PasswordHasher",
    "MD5PasswordHasher", "UnsaltedSHA1PasswordHasher", "UnsaltedMD5PasswordHasher")])
django.setup()
from django.contrib.auth import hashers as h  # noqa: E402
import argon2  # noqa: E402


class SmallArgon2(h.Argon2PasswordHasher):
    time_cost, memory_cost, parallelism = 2, 1024, 4


class SmallBCrypt(h.BCryptPasswordHasher):
    rounds = 4


class SmallBCryptSHA256(h.BCryptSHA256PasswordHasher):
    rounds = 4


def scrypt_django4(password, salt, n, r, p):
    key = hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=0, dklen=64)
    return "scrypt$%d$%s$%d$%d$%s" % (n, salt, r, p, base64.b64encode(key).decode("ascii").strip())


def out(algorithm, password, encoded):
    # Django itself must agree (scrypt: Django 3.2 has no such hasher).
    if algorithm not in ("scrypt", "unusable"):
        assert h.check_password(password, encoded) and not h.check_password("W" + password, encoded)
    print(json.dumps({"algorithm": algorithm, "password": password, "encoded": encoded}))


passwords = ["correct horse 42", "pässwörd-€-ü", "x" * 80 + "tail"]
for pw in passwords:
    out("pbkdf2_sha256", pw, h.PBKDF2PasswordHasher().encode(pw, h.PBKDF2PasswordHasher().salt(), 1000))
    out("pbkdf2_sha1", pw, h.PBKDF2SHA1PasswordHasher().encode(pw, "saltsalt", 999))
    out("argon2", pw, h.make_password(pw, hasher=SmallArgon2()))
    out("bcrypt_sha256", pw, h.make_password(pw, hasher=SmallBCryptSHA256()))
    out("bcrypt", pw, h.make_password(pw, hasher=SmallBCrypt()))
    out("md5", pw, h.make_password(pw, hasher=h.MD5PasswordHasher()))
    out("sha1", pw, h.make_password(pw, hasher=h.SHA1PasswordHasher()))
    out("unsalted_md5", pw, h.make_password(pw, hasher=h.UnsaltedMD5PasswordHasher()))
    out("unsalted_md5", pw, "md5$$" + h.make_password(pw, hasher=h.UnsaltedMD5PasswordHasher()))
    out("unsalted_sha1", pw, h.make_password(pw, hasher=h.UnsaltedSHA1PasswordHasher()))
    out("scrypt", pw, scrypt_django4(pw, "c2FsdHlzYWx0", 1024, 8, 2))
pw = passwords[0]
# The defaults of Django 3.2: pbkdf2 260,000 iterations, argon2id m=100 MiB t=2 p=8.
out("pbkdf2_sha256", pw, h.make_password(pw, hasher=h.PBKDF2PasswordHasher()))
out("argon2", pw, h.make_password(pw, hasher=h.Argon2PasswordHasher()))
# argon2i, as Django < 3.2 stored it ("argon2" + argon2-cffi's string).
out("argon2", pw, "argon2" + argon2.PasswordHasher(
    time_cost=2, memory_cost=1024, parallelism=2, type=argon2.Type.I).hash(pw))
out("scrypt", pw, scrypt_django4(pw, "anothersalt", 2 ** 14, 8, 1))
out("unusable", pw, h.make_password(None))
sys.stdout.flush()
