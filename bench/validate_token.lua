-- wrk script: POSTs {"token": "<AUTHD_BENCH_TOKEN>"} to /auth/validate_token/ (the hot path).
-- Usage: AUTHD_BENCH_TOKEN=<access JWT> wrk -s bench/validate_token.lua http://127.0.0.1:8000
local token = os.getenv("AUTHD_BENCH_TOKEN")
if token == nil or token == "" then
    io.stderr:write("validate_token.lua: AUTHD_BENCH_TOKEN is not set; every answer will be 401\n")
    token = "unset"
end

wrk.method = "POST"
wrk.path = "/auth/validate_token/"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"token": "' .. token .. '"}'
