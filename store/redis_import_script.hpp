// The Redis backend's bulk-import script (authd import-django): one EVALSHA imports a whole
// batch, so a batch is one round trip and one atomic step (keys: redis_scripts.hpp).
#pragma once
#include <string_view>

namespace authd::store {

// Fields each user takes in the script's ARGV, after the header.
inline constexpr int redis_import_stride = 7 + 28;

// ARGV 4 dry run?, 5 user count, then per user (stride 35): id, username_key, email_key,
// search text, role, active, token version, 14 field/value pairs (append_user_fields plus
// created_at_us, updated_at_us) -> one status per user: 0 imported, 1 id, 2 username,
// 3 email taken. next_user_id is raised to the highest id, so signups continue above it.
inline constexpr std::string_view redis_import_users = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local dry = ARGV[4] == '1'
local n = tonumber(ARGV[5])
local out, seen_id, seen_name, seen_mail = {}, {}, {}, {}
local top = tonumber(redis.call('GET', P .. 'next_user_id') or '0')
local i = 6
for u = 1, n do
  local id, uk, ek = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2]
  local st = 0
  if seen_id[id] or redis.call('EXISTS', P .. 'user:' .. id) == 1 then st = 1
  elseif seen_name[uk] or redis.call('HEXISTS', P .. 'username', uk) == 1 then st = 2
  elseif seen_mail[ek] or redis.call('HEXISTS', P .. 'email', ek) == 1 then st = 3
  elseif dry then seen_id[id], seen_name[uk], seen_mail[ek] = true, true, true
  else
    local role, active = tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])
    redis.call('HSET', P .. 'user:' .. id, 'id', id, 'username_key', uk, 'email_key', ek,
               unpack(ARGV, i + 7, i + 34))
    redis.call('HSET', P .. 'username', uk, id)
    redis.call('HSET', P .. 'email', ek, id)
    index_add(id, role, active)
    redis.call('HSET', P .. 'tv', id, ARGV[i + 6])
    text_insert(id, record(id, ARGV[i + 3], role, active))
    publish('v ' .. id .. ' ' .. ARGV[i + 6])
    if id > top then top = id end
  end
  out[u] = st
  i = i + 35
end
if not dry then redis.call('SET', P .. 'next_user_id', top) end
return out
)lua";

}  // namespace authd::store
