#!/usr/bin/python3
# Writes a synthetic `manage.py dumpdata` file of N users of the seed's custom user model,
# streaming (constant memory). Every user shares one pbkdf2_sha256 hash of "Bench-pw-1"
# (made once with hashlib, Django's format). --inactive: every user pending; --with-admin: one
# more, active superuser "admin" (same password); --iterations=K: the pbkdf2 count (1000).
# Usage: gen_django_dump.py N OUT [flags]
import base64, hashlib, json, sys

n, out = int(sys.argv[1]), sys.argv[2]
inactive = "--inactive" in sys.argv
salt = "benchsaltbenchsalt"
iters = int(next((a.split("=")[1] for a in sys.argv if a.startswith("--iterations=")), 1000))
h = base64.b64encode(hashlib.pbkdf2_hmac("sha256", b"Bench-pw-1", salt.encode(), iters)).decode()
password = "pbkdf2_sha256$%d$%s$%s" % (iters, salt, h)
with open(out, "w") as f:
    f.write("[\n")
    f.write(json.dumps({"model": "contenttypes.contenttype", "pk": 1,
                        "fields": {"app_label": "accounts", "model": "user"}}))
    for i in range(1, n + 1):
        f.write(",\n")
        f.write(json.dumps({"model": "accounts.user", "pk": i, "fields": {
            "password": password, "last_login": None, "is_superuser": False,
            "username": "user%d" % i, "first_name": "First%d" % i, "last_name": "Last",
            "email": "user%d@example.com" % i, "is_staff": False, "is_active": not inactive,
            "date_joined": "2024-05-01T10:00:00.123Z", "phone_number": "", "address": "",
            "role": "CLIENT", "groups": [], "user_permissions": []}}))
    if "--with-admin" in sys.argv:
        f.write(",\n" + json.dumps({"model": "accounts.user", "pk": n + 1, "fields": {
            "password": password, "username": "admin", "email": "admin@example.com",
            "is_superuser": True, "is_active": True, "role": "SUPER_USER"}}))
    f.write("\n]\n")
