-- wrk script: POST /auth/signup/ with a fresh username per request (thread id + counter).
local counter = 0
local thread_id = 0
local threads = {}
setup = function(thread)
  thread:set("tid", #threads)
  table.insert(threads, thread)
end
init = function() thread_id = tid or 0 end
request = function()
  counter = counter + 1
  local name = string.format("bench_%d_%d_%d", os.time(), thread_id, counter)
  local body = string.format('{"username": "%s", "email": "%s@example.com", "password": "Vq8#tLm2Zx"}', name, name)
  return wrk.format("POST", "/auth/signup/", {["Content-Type"] = "application/json"}, body)
end
