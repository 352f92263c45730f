-- wrk script: POST /auth/token/ with the credentials in AUTHD_BENCH_USER / AUTHD_BENCH_PASSWORD.
wrk.method = "POST"
wrk.path = "/auth/token/"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"username": "%s", "password": "%s"}',
                         os.getenv("AUTHD_BENCH_USER") or "", os.getenv("AUTHD_BENCH_PASSWORD") or "")

