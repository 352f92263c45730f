-- wrk script: POST /auth/token/ with the credentials in AUTHD_BENCH_USER / AUTHD_BENCH_PASSWORD.
wrk.method = "POST"
wrk.path = "/auth/token/"
wrk.headers["Content-Type"] = "application/json"
wrk.body = string.format('{"username": "%s", "password": "%s"}',
                         os.getenv("AUTHD_BENCH_USER") or "", os.getenv("AUTHD_BENCH_PASSWORD") or "")

local statuses = {}
response = function(status) statuses[status] = (statuses[status] or 0) + 1 end
done = function()
  for status, n in pairs(statuses) do io.write(string.format("status %d: %d\n", status, n)) end
end
