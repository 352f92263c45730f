-- wrk script: GET the URL's path with "Authorization: Bearer <AUTHD_BENCH_TOKEN>" (forward
-- auth: /auth/forward on authd, or any path of an nginx that asks authd by auth_request).
local token = os.getenv("AUTHD_BENCH_TOKEN")
if token == nil or token == "" then
    io.stderr:write("bearer.lua: AUTHD_BENCH_TOKEN is not set; every answer will be 401\n")
    token = "unset"
end
wrk.headers["Authorization"] = "Bearer " .. token
