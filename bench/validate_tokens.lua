-- wrk script: every request validates the next token of AUTHD_BENCH_TOKENS_FILE (one access JWT
-- per line), cycling; so each request carries a different token (no verified-signature reuse
-- beyond one pass over the list). Usage:
--   AUTHD_BENCH_TOKENS_FILE=tokens.txt wrk -s bench/validate_tokens.lua http://127.0.0.1:8000
local path = os.getenv("AUTHD_BENCH_TOKENS_FILE")
local bodies = {}
if path then
    for line in io.lines(path) do
        if line ~= "" then bodies[#bodies + 1] = '{"token": "' .. line .. '"}' end
    end
end
if #bodies == 0 then
    io.stderr:write("validate_tokens.lua: AUTHD_BENCH_TOKENS_FILE has no tokens\n")
    bodies[1] = '{"token": "unset"}'
end

local i = 0
function init(args)
    i = math.random(#bodies)  -- each wrk thread starts at another place in the list
end

function request()
    i = i % #bodies + 1
    return wrk.format("POST", "/auth/validate_token/", {["Content-Type"] = "application/json"},
                      bodies[i])
end
