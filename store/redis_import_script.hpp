// The Redis backend's bulk-import script (authd import-django): one EVALSHA imports a whole
// batch, so a batch is one round trip and one atomic step (keys: redis_scripts.hpp).
#pragma once
#include <string_view>

namespace authd::store {

// Fields each user takes in the script's ARGV, after the header.
inline constexpr int redis_import_stride = 7 + 28;

// ARGV 4 dry run?, 5 user count (≤ 1000: Lua's unpack limit), then per user (stride 35):
// id, username_key, email_key, search text, role, active, token version, 14 field/value pairs
// (append_user_fields plus created_at_us, updated_at_us) -> one status per user: 0 imported,
// 1 id, 2 username, 3 email taken. next_user_id is raised to the highest id, so signups
// continue above it. ARGV[i + 8] is the username (append_user_fields puts it first). A user
// at token version 0 is published as "i <id> <role> <username>" (redis_subscriber.hpp).
// Batched: one ZMSCORE/HMGET per kind checks the whole batch, the indexes are written with
// one HSET/ZADD each at the end, and the search records of one blob with one APPEND; only
// the user hashes and the published changes are per user.
inline constexpr std::string_view redis_import_users = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local dry = ARGV[4] == '1'
local n = tonumber(ARGV[5])
if n == 0 then return {} end
local S = 35
local ids, uks, eks = {}, {}, {}
for u = 1, n do
  local i = 6 + (u - 1) * S
  ids[u], uks[u], eks[u] = ARGV[i], ARGV[i + 1], ARGV[i + 2]
end
local id_hit = redis.call('ZMSCORE', P .. 'ids', unpack(ids))
local name_hit = redis.call('HMGET', P .. 'username', unpack(uks))
local mail_hit = redis.call('HMGET', P .. 'email', unpack(eks))
local out, seen_id, seen_name, seen_mail = {}, {}, {}, {}
local names, mails, tvs, sets, set_list, blobs, blob_list = {}, {}, {}, {}, {}, {}, {}
local top = tonumber(redis.call('GET', P .. 'next_user_id') or '0')
for u = 1, n do
  local i = 6 + (u - 1) * S
  local id, uk, ek = tonumber(ARGV[i]), ARGV[i + 1], ARGV[i + 2]
  local st = 0
  if seen_id[id] or id_hit[u] then st = 1
  elseif seen_name[uk] or name_hit[u] then st = 2
  elseif seen_mail[ek] or mail_hit[u] then st = 3
  else
    seen_id[id], seen_name[uk], seen_mail[ek] = true, true, true
    if not dry then
      local role, active, tv = tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5]), ARGV[i + 6]
      redis.call('HSET', P .. 'user:' .. id, 'id', id, 'username_key', uk, 'email_key', ek,
                 unpack(ARGV, i + 7, i + 34))
      names[#names + 1], names[#names + 2] = uk, id
      mails[#mails + 1], mails[#mails + 2] = ek, id
      tvs[#tvs + 1], tvs[#tvs + 2] = id, tv
      for _, k in ipairs(index_sets(role, active)) do
        local m = sets[k]
        if not m then m = {}; sets[k] = m; set_list[#set_list + 1] = k end
        m[#m + 1], m[#m + 2] = id, id
      end
      local b = math.floor(id / 1024)
      local g = blobs[b]
      if not g then g = {ids = {}, recs = {}}; blobs[b] = g; blob_list[#blob_list + 1] = b end
      g.ids[#g.ids + 1], g.recs[#g.recs + 1] = id, record(id, ARGV[i + 3], role, active)
      if tv == '0' then  -- its Django tokens validate on every running instance
        publish('i ' .. id .. ' ' .. ARGV[i + 4] .. ' ' .. ARGV[i + 8])
      else
        publish('v ' .. id .. ' ' .. tv)
      end
      if id > top then top = id end
    end
  end
  out[u] = st
end
if dry or #names == 0 then return out end
redis.call('HSET', P .. 'username', unpack(names))
redis.call('HSET', P .. 'email', unpack(mails))
redis.call('HSET', P .. 'tv', unpack(tvs))
for _, k in ipairs(set_list) do redis.call('ZADD', k, unpack(sets[k])) end
for _, b in ipairs(blob_list) do
  local g = blobs[b]
  redis.call('APPEND', text_key(g.ids[1]), table.concat(g.recs))
  text_touch(g.ids[1])
end
redis.call('SET', P .. 'next_user_id', top)
return out
)lua";

}  // namespace authd::store
