-- wrk script: HTTP/1.1 pipelining, WRK_PIPELINE (default 16) requests written back to back.
-- GET of the URL's path, or with WRK_PIPELINE_VALIDATE=1 the validate-token POST of
-- AUTHD_BENCH_TOKEN. Usage: WRK_PIPELINE=16 wrk -s bench/pipeline.lua http://127.0.0.1:8000/healthz
local depth = tonumber(os.getenv("WRK_PIPELINE") or "16")
local validate = os.getenv("WRK_PIPELINE_VALIDATE") == "1"
local token = os.getenv("AUTHD_BENCH_TOKEN") or "unset"

init = function(args)
    local r = {}
    for i = 1, depth do
        if validate then
            r[i] = wrk.format("POST", "/auth/validate_token/",
                              { ["Content-Type"] = "application/json" },
                              '{"token": "' .. token .. '"}')
        else
            r[i] = wrk.format("GET", nil)
        end
    end
    req = table.concat(r)
end

request = function()
    return req
end
