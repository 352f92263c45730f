// The Redis backend's key layout and its Lua scripts: every change that must be atomic runs
// as one script (EVALSHA, falling back to EVAL on NOSCRIPT).
//
// Keys (all carry the hash tag {authd}, so they live in ONE Redis Cluster slot: the scripts
// touch several keys at once — username + email index + id counter + user + outbox on
// signup — and Cluster only runs multi-key scripts within a slot. The price: on a Cluster
// the whole store lives on one shard, i.e. Cluster gives failover, not write scaling):
//   {authd}:epoch              random marker written at first start; writes check it, so a
//                              Redis that lost its data (restarted empty) is noticed
//   {authd}:next_user_id       counter (ids never reused); instances reserve blocks of it
//   {authd}:user:<id>          hash: the User (+ username_key/email_key, the folded keys)
//   {authd}:username, :email   hashes: folded username / email -> id
//   {authd}:ids[:r<role>][a<0|1>]  sorted sets of ids (score = id) per role/active filter
//   {authd}:text:<id/1024>     search blobs, see below; {authd}:textv their versions
//   {authd}:tv                 hash: id -> token version (loaded into every loop)
//   {authd}:session:<sid>      hash: user_id, jti, expires_at, revoked; EXPIRE at expiry
//   {authd}:usess:<id>         set of a user's sids (dropped with the user); EXPIRE
//   {authd}:revoked            sorted set sid -> expires_at; pruned by score on every revoke
//   {authd}:fail:<key>         hash: count, ends_us (login-failure window); PEXPIRE = window
//   {authd}:audit:<target>     list of encoded audit records
//   {authd}:mail_next_id, {authd}:mail:<id>, {authd}:outbox (sorted set by next_attempt_us,
//                              members zero-padded ids so equal times keep id order; a mail
//                              handed to one instance's sender is leased, see due_mail;
//                              {authd}:mail_lease: mail id -> the instance holding it)
//   {authd}:signing_keys       the sealed JWT signing-key ring (auth/key_ring.hpp)
//   {authd}:changes            pub/sub channel: "<origin> r <expires_at> <sid>",
//                              "<origin> v <user_id> <version>", "<origin> d <user_id>",
//                              "<origin> i <user_id> <role> <username>" (imported, version 0)
//
// Search blobs: users are grouped 1024 ids per blob; each blob is the concatenation, in the
// order they were written (not always id order: ids come from per-instance blocks, and two
// instances' signups interleave; the scan sorts each blob's hits), of records "\n" folded(username)
// \0 folded(email) \0 folded(first) \0 folded(last)
// "\t" id-as-10-control-chars role-char active-char. Field text has its control characters
// mapped to \x01, so a needle without control characters can only match inside one field.
// {authd}:textv counts each blob's changes; every instance keeps a copy of the blobs
// (RedisSearchCache), refreshes the changed ones (text_sync) and searches them itself.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include "store/redis_import_script.hpp"

namespace authd::store {

inline constexpr std::string_view redis_key_prefix = "{authd}:";
inline constexpr std::string_view redis_epoch_key = "{authd}:epoch";
inline constexpr std::string_view redis_signing_keys_key = "{authd}:signing_keys";
inline constexpr std::string_view redis_changes_channel = "{authd}:changes";

enum class RedisScript : uint8_t {
    reserve_user,
    create_user,
    update_user,
    delete_user,
    lookup_user,
    list_users,
    create_session,
    rotate_refresh,
    revoke_session,
    record_failure,
    append_audit,
    enqueue_mail,
    due_mail,
    remove_mail,
    retry_mail,
    validation_state,
    text_sync,
    get_users,
    release_leases,
    release_attempt,
    import_users,
    count
};

// Every script is called as EVALSHA sha 1 {authd}:epoch <epoch> <now_us> <origin> args...
// (KEYS[1] also routes the call to the store's slot on a Cluster). The prelude defines the
// helpers; scripts that write begin with the epoch check.
inline constexpr std::string_view redis_prelude = R"lua(
local P = '{authd}:'
local now_us = tonumber(ARGV[2])
local now_s = math.floor(now_us / 1000000)
local EPOCH_ERR = 'AUTHD_EPOCH this Redis does not hold the data authd started with'
local function epoch_ok() return redis.call('GET', KEYS[1]) == ARGV[1] end
local function publish(msg) redis.call('PUBLISH', P .. 'changes', ARGV[3] .. ' ' .. msg) end
local function enc_id(id)
  return (string.gsub(string.format('%010d', id), '%d',
                      function(d) return string.char(string.byte(d) - 32) end))
end
local function dec_id(s, i)
  local a, b, c, d, e, f, g, h, x, y = string.byte(s, i, i + 9)
  return ((((((((((a - 16) * 10 + b - 16) * 10 + c - 16) * 10 + d - 16) * 10 + e - 16) * 10
          + f - 16) * 10 + g - 16) * 10 + h - 16) * 10 + x - 16) * 10 + y - 16)
end
local function text_key(id) return P .. 'text:' .. math.floor(id / 1024) end
local function text_touch(id) redis.call('HINCRBY', P .. 'textv', math.floor(id / 1024), 1) end
local function record(id, text, role, active)
  return '\n' .. text .. '\t' .. enc_id(id) .. string.char(26 + role, 30 + active)
end
local function text_insert(id, rec)
  text_touch(id)
  redis.call('APPEND', text_key(id), rec)
end
local function text_find(id)
  local k = text_key(id)
  local blob = redis.call('GET', k)
  if not blob then return nil end
  local s, e = string.find(blob, '\n[^\n\t]*\t' .. enc_id(id))
  if not s then return nil end
  return k, blob, s, e + 2
end
local function text_remove(id)
  local k, blob, s, e = text_find(id)
  if not k then return end
  text_touch(id)
  local rest = string.sub(blob, 1, s - 1) .. string.sub(blob, e + 1)
  if rest == '' then redis.call('DEL', k) else redis.call('SET', k, rest) end
end
local function index_sets(role, active)
  return {P .. 'ids', P .. 'ids:r' .. role, P .. 'ids:a' .. active,
          P .. 'ids:r' .. role .. 'a' .. active}
end
local function index_add(id, role, active)
  for _, k in ipairs(index_sets(role, active)) do redis.call('ZADD', k, id, id) end
end
local function index_remove(id, role, active)
  for _, k in ipairs(index_sets(role, active)) do redis.call('ZREM', k, id) end
end
local function put_mail(to, subject, text, html, next_us)
  local mid = redis.call('INCR', P .. 'mail_next_id')
  redis.call('HSET', P .. 'mail:' .. mid, 'id', mid, 'to', to, 'subject', subject,
             'text_body', text,
             'html_body', html, 'attempts', 0, 'next_attempt_us', next_us)
  redis.call('ZADD', P .. 'outbox', next_us, string.format('%020d', mid))
  return mid
end
local function revoke(sid, expires_at)
  redis.call('HSET', P .. 'session:' .. sid, 'revoked', '1')
  redis.call('ZADD', P .. 'revoked', expires_at, sid)
  redis.call('ZREMRANGEBYSCORE', P .. 'revoked', '-inf', now_s)
  publish('r ' .. expires_at .. ' ' .. sid)
end
)lua";

// ARGV 4 count -> the last of `count` ids reserved for this instance's signups (RedisIdPool):
// a signup with a mail knows its id before its one create_user call.
inline constexpr std::string_view redis_reserve_user = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
return redis.call('INCRBY', P .. 'next_user_id', tonumber(ARGV[4]))
)lua";

// ARGV 4 reserved id or '', 5 username_key, 6 email_key, 7 search text, 8 role, 9 active,
// 10 token version, 11 has mail, 12-16 mail to/subject/text/html/next_attempt_us,
// 17.. user field/value pairs -> {id, 0, 0, mail_id}, {0, username_taken, email_taken, 0}, or
// {0, 0, 0, 0, 1} when the reserved id is taken (an import wrote it meanwhile).
inline constexpr std::string_view redis_create_user = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local ut = redis.call('HEXISTS', P .. 'username', ARGV[5])
local et = redis.call('HEXISTS', P .. 'email', ARGV[6])
if ut == 1 or et == 1 then return {0, ut, et, 0} end
local id
if ARGV[4] == '' then id = redis.call('INCR', P .. 'next_user_id') else id = tonumber(ARGV[4]) end
if ARGV[4] ~= '' and redis.call('EXISTS', P .. 'user:' .. id) == 1 then return {0, 0, 0, 0, 1} end
local key = P .. 'user:' .. id
redis.call('HSET', key, 'id', id, 'created_at_us', ARGV[2], 'updated_at_us', ARGV[2],
           'username_key', ARGV[5], 'email_key', ARGV[6], unpack(ARGV, 17))
redis.call('HSET', P .. 'username', ARGV[5], id)
redis.call('HSET', P .. 'email', ARGV[6], id)
local role, active = tonumber(ARGV[8]), tonumber(ARGV[9])
index_add(id, role, active)
redis.call('HSET', P .. 'tv', id, ARGV[10])
text_insert(id, record(id, ARGV[7], role, active))
local mail_id = 0
if ARGV[11] == '1' then mail_id = put_mail(ARGV[12], ARGV[13], ARGV[14], ARGV[15], ARGV[16]) end
publish('v ' .. id .. ' ' .. ARGV[10])
return {id, 0, 0, mail_id}
)lua";

// ARGV 4 id, 5 email set?, 6 new email_key, 7 new email search text, 8 first set?, 9 first
// search text, 10 last set?, 11 last search text, 12 role or '', 13 active or '', 14 bump
// token version?, 15 set updated_at?, 16 password hash precondition?, 17 the hash it must
// be, 18 the token version it must be or '', 19.. field/value pairs -> the user's hash, 0 when
// there is no such user, or 1 when the precondition fails or the new email belongs to another user
// (nothing changes).
inline constexpr std::string_view redis_update_user = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local id = tonumber(ARGV[4])
local key = P .. 'user:' .. id
local cur = redis.call('HMGET', key, 'email_key', 'role', 'is_active')
if not cur[1] then return 0 end
if ARGV[16] == '1' and redis.call('HGET', key, 'password_hash') ~= ARGV[17] then return 1 end
if ARGV[18] ~= '' and (redis.call('HGET', key, 'token_version') or '0') ~= ARGV[18] then
  return 1
end
local email_moves = ARGV[5] == '1' and ARGV[6] ~= cur[1]
if email_moves then
  local owner = redis.call('HGET', P .. 'email', ARGV[6])
  if owner and tonumber(owner) ~= id then return 1 end
end
if #ARGV >= 19 then redis.call('HSET', key, unpack(ARGV, 19)) end
if ARGV[15] == '1' then redis.call('HSET', key, 'updated_at_us', ARGV[2]) end
if email_moves then
  if redis.call('HGET', P .. 'email', cur[1]) == tostring(id) then
    redis.call('HDEL', P .. 'email', cur[1])
  end
  redis.call('HSET', P .. 'email', ARGV[6], id)
  redis.call('HSET', key, 'email_key', ARGV[6])
end
local old_role, old_active = tonumber(cur[2]), tonumber(cur[3])
local role, active = old_role, old_active
if ARGV[12] ~= '' then role = tonumber(ARGV[12]) end
if ARGV[13] ~= '' then active = tonumber(ARGV[13]) end
local flags_change = role ~= old_role or active ~= old_active
if flags_change then
  index_remove(id, old_role, old_active)
  index_add(id, role, active)
end
if ARGV[5] == '1' or ARGV[8] == '1' or ARGV[10] == '1' or flags_change then
  local k, blob, s, e = text_find(id)
  if k then
    local text = string.sub(blob, s + 1, e - 13)
    local f, pos = {}, 1
    for i = 1, 3 do
      local z = string.find(text, '\0', pos, true)
      f[i] = string.sub(text, pos, z - 1)
      pos = z + 1
    end
    f[4] = string.sub(text, pos)
    if ARGV[5] == '1' then f[2] = ARGV[7] end
    if ARGV[8] == '1' then f[3] = ARGV[9] end
    if ARGV[10] == '1' then f[4] = ARGV[11] end
    local rec = record(id, f[1] .. '\0' .. f[2] .. '\0' .. f[3] .. '\0' .. f[4], role, active)
    redis.call('SET', k, string.sub(blob, 1, s - 1) .. rec .. string.sub(blob, e + 1))
    text_touch(id)
  end
end
if ARGV[14] == '1' then
  local tv = redis.call('HINCRBY', key, 'token_version', 1)
  redis.call('HSET', P .. 'tv', id, tv)
  publish('v ' .. id .. ' ' .. tv)
end
return redis.call('HGETALL', key)
)lua";

// ARGV 4 id, 5 '1': only if pending -> 1, 0 when there is no such user, or 2 when the
// condition does not hold (the user is active). Drops the user's sessions too.
inline constexpr std::string_view redis_delete_user = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local id = tonumber(ARGV[4])
local key = P .. 'user:' .. id
local cur = redis.call('HMGET', key, 'username_key', 'email_key', 'role', 'is_active')
if not cur[1] then return 0 end
if ARGV[5] == '1' and tonumber(cur[4]) == 1 then return 2 end
local ids = tostring(id)
if redis.call('HGET', P .. 'username', cur[1]) == ids then
  redis.call('HDEL', P .. 'username', cur[1])
end
if redis.call('HGET', P .. 'email', cur[2]) == ids then redis.call('HDEL', P .. 'email', cur[2]) end
index_remove(id, tonumber(cur[3]), tonumber(cur[4]))
text_remove(id)
redis.call('HDEL', P .. 'tv', id)
local us = P .. 'usess:' .. id
for _, sid in ipairs(redis.call('SMEMBERS', us)) do redis.call('DEL', P .. 'session:' .. sid) end
redis.call('DEL', us, key)
publish('d ' .. id)
return 1
)lua";

// Read. ARGV 4 'username' or 'email', 5 folded key -> the user's hash or {}.
inline constexpr std::string_view redis_lookup_user = R"lua(
local id = redis.call('HGET', P .. ARGV[4], ARGV[5])
if not id then return {} end
return redis.call('HGETALL', P .. 'user:' .. id)
)lua";

// Read. ARGV 4 role or '', 5 active or '', 6 offset, 7 limit -> {total, user hash, ...} in id
// order, from the sorted set of that filter (a search goes through text_sync instead).
inline constexpr std::string_view redis_list_users = R"lua(
local offset, limit = tonumber(ARGV[6]), tonumber(ARGV[7])
local set = P .. 'ids'
if ARGV[4] ~= '' and ARGV[5] ~= '' then set = set .. ':r' .. ARGV[4] .. 'a' .. ARGV[5]
elseif ARGV[4] ~= '' then set = set .. ':r' .. ARGV[4]
elseif ARGV[5] ~= '' then set = set .. ':a' .. ARGV[5] end
local total = redis.call('ZCARD', set)
local out = {total}
if limit > 0 and offset < total then
  for i, id in ipairs(redis.call('ZRANGE', set, offset, offset + limit - 1)) do
    out[i + 1] = redis.call('HGETALL', P .. 'user:' .. id)
  end
end
return out
)lua";

// Read. ARGV 4 what the caller holds, "blob:version;blob:version;..." -> {blob, version,
// text, ...} for every blob, the text false (nil) where the caller's version is current and
// '' when the blob is gone. The search itself runs in the caller (RedisSearchCache), so Redis
// spends microseconds per search instead of copying megabytes into Lua.
inline constexpr std::string_view redis_text_sync = R"lua(
local known = {}
for b, v in string.gmatch(ARGV[4], '(%d+):(%d+);') do known[b] = v end
local versions = redis.call('HGETALL', P .. 'textv')
local out = {}
for i = 1, #versions, 2 do
  local b, v = versions[i], versions[i + 1]
  out[#out + 1] = b
  out[#out + 1] = v
  if known[b] == v then
    out[#out + 1] = false
  else
    out[#out + 1] = redis.call('GET', P .. 'text:' .. b) or ''
  end
end
return out
)lua";

// Read. ARGV 4.. user ids -> their hashes ({} for a user deleted meanwhile).
inline constexpr std::string_view redis_get_users = R"lua(
local out = {}
for i = 4, #ARGV do out[#out + 1] = redis.call('HGETALL', P .. 'user:' .. ARGV[i]) end
return out
)lua";

// ARGV 4 sid, 5 user id, 6 refresh jti, 7 expires_at (s) -> 1, or 0 when the sid exists or
// the user does not.
inline constexpr std::string_view redis_create_session = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local skey = P .. 'session:' .. ARGV[4]
if redis.call('EXISTS', skey) == 1 or redis.call('EXISTS', P .. 'user:' .. ARGV[5]) == 0 then
  return 0
end
redis.call('HSET', skey, 'user_id', ARGV[5], 'jti', ARGV[6], 'expires_at', ARGV[7], 'revoked', '0')
local ttl = math.max(tonumber(ARGV[7]) - now_s, 0) + 60
redis.call('EXPIRE', skey, ttl)
local us = P .. 'usess:' .. ARGV[5]
redis.call('SADD', us, ARGV[4])
if redis.call('TTL', us) < ttl then redis.call('EXPIRE', us, ttl) end
return 1
)lua";

// ARGV 4 sid, 5 presented jti, 6 new jti, 7 new expires_at -> {status, user_id, expires_at}
// with status 0 rotated, 1 reused (the session is now revoked), 2 revoked, 3 unknown.
// The jtis are compared through SHA-1 so the comparison time says nothing about them.
inline constexpr std::string_view redis_rotate_refresh = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local skey = P .. 'session:' .. ARGV[4]
local s = redis.call('HMGET', skey, 'user_id', 'jti', 'expires_at', 'revoked')
if not s[1] or tonumber(s[3]) <= now_s then return {3, 0, 0} end
if s[4] == '1' then return {2, s[1], s[3]} end
if redis.sha1hex(s[2]) == redis.sha1hex(ARGV[5]) then
  redis.call('HSET', skey, 'jti', ARGV[6], 'expires_at', ARGV[7])
  local ttl = math.max(tonumber(ARGV[7]) - now_s, 0) + 60
  redis.call('EXPIRE', skey, ttl)
  local us = P .. 'usess:' .. s[1]
  if redis.call('TTL', us) < ttl then redis.call('EXPIRE', us, ttl) end
  return {0, s[1], ARGV[7]}
end
revoke(ARGV[4], s[3])
return {1, s[1], s[3]}
)lua";

// ARGV 4 sid -> {existed, user_id, expires_at}.
inline constexpr std::string_view redis_revoke_session = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local s = redis.call('HMGET', P .. 'session:' .. ARGV[4], 'user_id', 'expires_at', 'revoked')
if not s[1] or tonumber(s[2]) <= now_s then return {0, 0, 0} end
if s[3] ~= '1' then revoke(ARGV[4], s[2]) end
return {1, s[1], s[2]}
)lua";

// ARGV 4 key, 5 window (s), 6 max -> {count, window end (us), reserved 1|0}: counts one
// attempt unless `max` are counted already. A fixed window from the first attempt; the key
// expires with it. (Not epoch-checked: counters are not durable data.)
inline constexpr std::string_view redis_record_failure = R"lua(
local k = P .. 'fail:' .. ARGV[4]
local window = math.max(tonumber(ARGV[5]), 1)
local f = redis.call('HMGET', k, 'count', 'ends_us')
if f[1] and tonumber(f[2]) > now_us then
  if tonumber(f[1]) >= tonumber(ARGV[6]) then return {tonumber(f[1]), f[2], 0} end
  return {redis.call('HINCRBY', k, 'count', 1), f[2], 1}
end
if tonumber(ARGV[6]) < 1 then return {0, '0', 0} end
local ends = string.format('%d', now_us + window * 1000000)
redis.call('HSET', k, 'count', 1, 'ends_us', ends)
redis.call('PEXPIRE', k, window * 1000 + 1000)
return {1, ends, 1}
)lua";

// ARGV 4 key -> the count left. Gives back one reserved attempt (it was not a failure).
inline constexpr std::string_view redis_release_attempt = R"lua(
local k = P .. 'fail:' .. ARGV[4]
local c = tonumber(redis.call('HGET', k, 'count') or '0')
if c <= 1 then redis.call('DEL', k) return 0 end
return redis.call('HINCRBY', k, 'count', -1)
)lua";

// ARGV 4 target id, 5 encoded record -> 1.
inline constexpr std::string_view redis_append_audit = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
redis.call('RPUSH', P .. 'audit:' .. ARGV[4], ARGV[5])
return 1
)lua";

// ARGV 4 to, 5 subject, 6 text, 7 html, 8 next_attempt_us -> the mail id.
inline constexpr std::string_view redis_enqueue_mail = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
return put_mail(ARGV[4], ARGV[5], ARGV[6], ARGV[7], ARGV[8])
)lua";

// ARGV 4 now (us), 5 max, 6 lease (us) -> mail hashes by next attempt, then id. With a lease,
// what is returned is claimed: its outbox score moves to now + lease, so the other instances'
// senders skip it until the lease ends (mail_sent / mail_retry / mail_dropped end it sooner;
// a sender that died leaves it to be sent again afterwards: at least once, never twice at once).
inline constexpr std::string_view redis_due_mail = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local ids = redis.call('ZRANGEBYSCORE', P .. 'outbox', '-inf', ARGV[4],
                       'LIMIT', 0, tonumber(ARGV[5]))
local lease = tonumber(ARGV[6])
local claimed_until = string.format('%d', tonumber(ARGV[4]) + lease)
local out = {}
for i, m in ipairs(ids) do
  out[i] = redis.call('HGETALL', P .. 'mail:' .. tonumber(m))
  if lease > 0 then
    redis.call('ZADD', P .. 'outbox', claimed_until, m)
    redis.call('HSET', P .. 'mail_lease', tonumber(m), ARGV[3])
  end
end
return out
)lua";

// ARGV 4.. the instances alive now (the names of the connections Redis has) -> how many
// leases were released: mails claimed by an instance that died go back to their own time at
// once, instead of waiting out the lease (a killed and restarted instance sends them).
inline constexpr std::string_view redis_release_leases = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local alive = {}
for i = 4, #ARGV do alive[ARGV[i]] = true end
local leases = redis.call('HGETALL', P .. 'mail_lease')
local released = 0
for i = 1, #leases, 2 do
  local id, holder = leases[i], leases[i + 1]
  if not alive[holder] then
    local next_us = redis.call('HGET', P .. 'mail:' .. id, 'next_attempt_us')
    if next_us then
      redis.call('ZADD', P .. 'outbox', next_us, string.format('%020d', tonumber(id)))
    end
    redis.call('HDEL', P .. 'mail_lease', id)
    released = released + 1
  end
end
return released
)lua";

// ARGV 4 id -> 1, or 0 when there is no such mail (sent or dropped).
inline constexpr std::string_view redis_remove_mail = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
redis.call('ZREM', P .. 'outbox', string.format('%020d', tonumber(ARGV[4])))
redis.call('HDEL', P .. 'mail_lease', ARGV[4])
return redis.call('DEL', P .. 'mail:' .. ARGV[4])
)lua";

// ARGV 4 id, 5 attempts, 6 next_attempt_us -> 1, or 0 when there is no such mail.
inline constexpr std::string_view redis_retry_mail = R"lua(
if not epoch_ok() then return redis.error_reply(EPOCH_ERR) end
local k = P .. 'mail:' .. ARGV[4]
if redis.call('EXISTS', k) == 0 then return 0 end
redis.call('HSET', k, 'attempts', ARGV[5], 'next_attempt_us', ARGV[6])
redis.call('ZADD', P .. 'outbox', ARGV[6], string.format('%020d', tonumber(ARGV[4])))
redis.call('HDEL', P .. 'mail_lease', ARGV[4])
return 1
)lua";

// Read. -> {{id, version, ...}, {sid, expires_at, ...}} (unexpired revocations only).
inline constexpr std::string_view redis_validation_state = R"lua(
return {redis.call('HGETALL', P .. 'tv'),
        redis.call('ZRANGEBYSCORE', P .. 'revoked', '(' .. now_s, '+inf', 'WITHSCORES')}
)lua";

inline std::string_view redis_script_body(RedisScript s) {
    switch (s) {
        case RedisScript::reserve_user:
            return redis_reserve_user;
        case RedisScript::create_user:
            return redis_create_user;
        case RedisScript::update_user:
            return redis_update_user;
        case RedisScript::delete_user:
            return redis_delete_user;
        case RedisScript::lookup_user:
            return redis_lookup_user;
        case RedisScript::list_users:
            return redis_list_users;
        case RedisScript::create_session:
            return redis_create_session;
        case RedisScript::rotate_refresh:
            return redis_rotate_refresh;
        case RedisScript::revoke_session:
            return redis_revoke_session;
        case RedisScript::record_failure:
            return redis_record_failure;
        case RedisScript::append_audit:
            return redis_append_audit;
        case RedisScript::enqueue_mail:
            return redis_enqueue_mail;
        case RedisScript::due_mail:
            return redis_due_mail;
        case RedisScript::remove_mail:
            return redis_remove_mail;
        case RedisScript::retry_mail:
            return redis_retry_mail;
        case RedisScript::validation_state:
            return redis_validation_state;
        case RedisScript::text_sync:
            return redis_text_sync;
        case RedisScript::get_users:
            return redis_get_users;
        case RedisScript::release_leases:
            return redis_release_leases;
        case RedisScript::release_attempt:
            return redis_release_attempt;
        case RedisScript::import_users:
            return redis_import_users;
        case RedisScript::count:
            break;
    }
    return {};
}

// The full source sent to Redis: prelude + body.
inline std::string redis_script_source(RedisScript s) {
    std::string src(redis_prelude);
    src += redis_script_body(s);
    return src;
}

}  // namespace authd::store
