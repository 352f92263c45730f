// RedisStore: the Store methods as commands and scripts on this loop's connection, the
// reply decoders, and the handling of NOSCRIPT, lost data and refused commands.
#include "store/redis_store.hpp"

#include <algorithm>

#include "core/log.hpp"
#include "store/case_fold.hpp"
#include "store/redis_call.hpp"
#include "store/redis_codec.hpp"
#include "store/redis_connection.hpp"
#include "store/redis_replies.hpp"
#include "store/redis_search_cache.hpp"
#include "store/redis_subscriber.hpp"

namespace authd::store {
namespace {

constexpr int64_t max_page_bound = 1'000'000'000;  // limit/offset beyond any real store

std::string key(std::string_view kind, std::string_view id) {
    std::string k(redis_key_prefix);
    k += kind;
    k += id;
    return k;
}
std::string key(std::string_view kind, int64_t id) {
    return key(kind, std::to_string(id));
}

const char* script_name(RedisScript s) {
    static const char* const names[] = {
        "reserve_user",     "create_user",    "update_user",    "delete_user",    "lookup_user",
        "list_users",       "create_session", "rotate_refresh", "revoke_session", "record_failure",
        "append_audit",     "enqueue_mail",   "due_mail",       "remove_mail",    "retry_mail",
        "validation_state", "text_sync",      "get_users",      "release_leases", "release_attempt",
        "import_users"};
    static_assert(sizeof(names) / sizeof(names[0]) == static_cast<size_t>(RedisScript::count));
    return names[static_cast<size_t>(s)];
}

}  // namespace

// ---- lifecycle and plumbing ------------------------------------------------------------------

RedisStore::RedisStore(RedisStoreOptions options, std::shared_ptr<const RedisEndpoint> endpoint,
                       std::string epoch, std::string origin)
    : options_(std::move(options)),
      endpoint_(std::move(endpoint)),
      epoch_(std::move(epoch)),
      origin_(std::move(origin)) {}

RedisStore::~RedisStore() {
    close();
}

void RedisStore::close() {
    if (closed_) return;
    closed_ = true;
    if (subscriber_) subscriber_->stop();
    endpoint_->closed.store(true, std::memory_order_release);
    core::log_info("redis", "Redis store closed");
}

void RedisStore::set_change_listener(ChangeListener* listener) {
    if (subscriber_) subscriber_->set_listener(listener);
}

bool RedisStore::subscribed() const {
    return subscriber_ && subscriber_->subscribed();
}

bool RedisStore::feed_stale() const {
    return subscriber_ && subscriber_->down_for() > options_.feed_grace;
}

void RedisStore::append_metrics(std::string& out) const {
    auto metric = [&out](const char* name, const char* type, const char* help, uint64_t v) {
        out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" +
               name + " " + std::to_string(v) + "\n";
    };
    auto relaxed = [](const std::atomic<uint64_t>& a) { return a.load(std::memory_order_relaxed); };
    metric("authd_store_redis_subscribed", "gauge",
           "1 while the change subscription (other instances' revocations) is up.",
           subscribed() ? 1 : 0);
    metric("authd_store_redis_feed_stale", "gauge",
           "1 while the change subscription has been down longer than the grace (readyz 503).",
           feed_stale() ? 1 : 0);
    metric("authd_store_redis_feed_down_ms", "gauge",
           "How long the change subscription has been down, in ms (0 while up).",
           subscriber_ ? static_cast<uint64_t>(subscriber_->down_for().count()) : 0);
    metric("authd_store_redis_search_cache_bytes", "gauge",
           "Bytes of user text this instance keeps to answer ?search= (its copy of the blobs).",
           search_cache_.bytes());
    metric("authd_store_redis_data_lost", "gauge",
           "1 when Redis no longer holds this store's data (writes refused).", data_lost() ? 1 : 0);
    metric("authd_store_redis_resyncs_total", "counter",
           "Full validation-state reloads after (re)subscribing.",
           subscriber_ ? subscriber_->resyncs() : 0);
    metric("authd_store_redis_connects_total", "counter", "Connections made to Redis.",
           relaxed(endpoint_->connects));
    metric("authd_store_redis_timeouts_total", "counter",
           "Connections dropped because Redis answered late.", relaxed(endpoint_->timeouts));
    metric("authd_store_redis_unavailable_total", "counter",
           "Store calls that got no answer (Redis down or late).", relaxed(unavailable_calls_));
    metric("authd_store_redis_refused_total", "counter",
           "Store calls Redis answered with an error.", relaxed(refused_calls_));
}

RedisArgs RedisStore::script_args(RedisScript s, int64_t now) const {
    RedisArgs a;
    a.add("EVALSHA").add(sha_[static_cast<size_t>(s)]).add("1").add(redis_epoch_key);
    a.add(epoch_).add(now).add(origin_);
    return a;
}

bool RedisStore::log_allowed() {
    int64_t now = core::wall_micros();
    int64_t last = last_log_us_.load(std::memory_order_relaxed);
    return now - last >= 1'000'000 && last_log_us_.compare_exchange_strong(last, now);
}

void RedisStore::note_data_lost(bool lost) {
    bool was = data_lost_.exchange(lost);
    if (lost && !was) {
        core::log_error(
            "redis",
            "Redis no longer holds this authd store (its epoch key is gone: restarted without "
            "persistence, or flushed). Writes are refused and /readyz answers 503. Restore Redis "
            "from its append-only file or backup, or restart every authd instance to start a new, "
            "empty store (and then rotate AUTHD_SECRET_KEY: user ids will be handed out again).");
    } else if (!lost && was) {
        core::log_info("redis", "Redis holds this authd store again");
    }
}

template <class T>
void RedisStore::note(const RedisCall<T>& call, std::string_view what) {
    if (call.status() == RedisCallStatus::unavailable) {
        unavailable_calls_.fetch_add(1, std::memory_order_relaxed);
    }
    if (call.status() != RedisCallStatus::error) return;
    refused_calls_.fetch_add(1, std::memory_order_relaxed);
    const std::string& e = call.error();
    if (e.starts_with("AUTHD_EPOCH")) {
        note_data_lost(true);
        return;
    }
    // A failover turned our address into a replica: reconnect (a proxy may point elsewhere now).
    if (e.starts_with("READONLY") && call.connection())
        call.connection()->reset("Redis answered READONLY");
    // A Redis Cluster node that does not own the {authd} slot (a failover or resharding moved
    // it): this call fails (the client retries), the store's connections move to the owner,
    // and the redirect is logged there, once.
    if (e.starts_with("MOVED ") && call.connection()) {
        call.connection()->follow_moved(e);
        return;
    }
    if (log_allowed())
        core::log_error("redis", "Redis refused a command", {{"command", what}, {"error", e}});
}

template <class T>
Task<Result<T>> RedisStore::command(RedisArgs args, Result<T> (*decode)(const redisReply*)) {
    const Result<T> failure(Answer::unavailable);  // RedisCall keeps a reference to it
    RedisCall<Result<T>> call(RedisConnection::for_this_thread(endpoint_), args, decode, failure);
    Result<T> result = co_await call;
    note(call, args[0]);
    co_return result;
}

template <class T>
Task<Result<T>> RedisStore::script(RedisScript s, RedisArgs args,
                                   Result<T> (*decode)(const redisReply*)) {
    RedisConnection* connection = RedisConnection::for_this_thread(endpoint_);
    const Result<T> failure(Answer::unavailable);
    bool noscript = false;
    Result<T> result = failure;
    {
        RedisCall<Result<T>> call(connection, args, decode, failure);
        result = co_await call;
        noscript = call.status() == RedisCallStatus::error && call.error().starts_with("NOSCRIPT");
        if (!noscript) note(call, script_name(s));
    }
    if (noscript) {
        // Redis restarted and forgot its script cache: EVAL runs the source and caches it.
        args.set(0, "EVAL");
        args.set(1, source_[static_cast<size_t>(s)]);
        RedisCall<Result<T>> again(connection, args, decode, failure);
        result = co_await again;
        note(again, script_name(s));
    }
    co_return result;
}

// ---- users -------------------------------------------------------------------------------------

Task<Result<User>> RedisStore::find_user(int64_t id) {
    RedisArgs a;
    a.add("HGETALL").add(key("user:", id));
    co_return co_await command<User>(std::move(a), decode_user_reply);
}

Task<Result<User>> RedisStore::find_user_by_username(std::string username) {
    RedisArgs a = script_args(RedisScript::lookup_user, now_us());
    a.add("username").add(fold_case(username));
    co_return co_await script<User>(RedisScript::lookup_user, std::move(a), decode_user_reply);
}

Task<Result<User>> RedisStore::find_user_by_email(std::string email) {
    RedisArgs a = script_args(RedisScript::lookup_user, now_us());
    a.add("email").add(fold_case(email));
    co_return co_await script<User>(RedisScript::lookup_user, std::move(a), decode_user_reply);
}

Task<Result<User>> RedisStore::update_user(int64_t id, UserPatch p) {
    const bool more_than_login = patch_changes_more_than_login(p);
    if (!more_than_login && !p.last_login_us && !p.if_password_hash && !p.if_token_version)
        co_return co_await find_user(id);  // nothing to change
    RedisArgs a = script_args(RedisScript::update_user, now_us());
    a.add(id);
    a.add(bool_digit(p.email.has_value()))
        .add(p.email ? fold_case(*p.email) : "")
        .add(p.email ? search_field(*p.email) : "");
    a.add(bool_digit(p.first_name.has_value()))
        .add(p.first_name ? search_field(*p.first_name) : "");
    a.add(bool_digit(p.last_name.has_value())).add(p.last_name ? search_field(*p.last_name) : "");
    a.add(p.role ? role_digit(*p.role) : "").add(p.is_active ? bool_digit(*p.is_active) : "");
    a.add(bool_digit(p.bump_token_version)).add(bool_digit(more_than_login));
    a.add(bool_digit(p.if_password_hash.has_value()))
        .add(p.if_password_hash ? *p.if_password_hash : "");
    a.add(p.if_token_version ? std::to_string(*p.if_token_version) : std::string());
    if (p.email) a.add("email").add(*p.email);
    if (p.first_name) a.add("first_name").add(*p.first_name);
    if (p.last_name) a.add("last_name").add(*p.last_name);
    if (p.phone_number) a.add("phone_number").add(*p.phone_number);
    if (p.address) a.add("address").add(*p.address);
    if (p.password_hash) a.add("password_hash").add(*p.password_hash);
    if (p.role) a.add("role").add(role_digit(*p.role));
    if (p.is_active) a.add("is_active").add(bool_digit(*p.is_active));
    if (p.email_verified) a.add("email_verified").add(bool_digit(*p.email_verified));
    if (p.last_login_us) a.add("last_login_us").add(*p.last_login_us);
    co_return co_await script<User>(RedisScript::update_user, std::move(a), decode_updated_user);
}

Task<Done> RedisStore::delete_user(int64_t id, DeleteIf when) {
    RedisArgs a = script_args(RedisScript::delete_user, now_us());
    a.add(id).add(when == DeleteIf::pending ? "1" : "0");
    co_return co_await script<void>(RedisScript::delete_user, std::move(a), decode_done);
}

Task<Result<UserPage>> RedisStore::list_users(UserQuery q) {
    if (!q.search.empty()) co_return co_await search_users(std::move(q));
    // Filters only: a page of the sorted set of that filter, in one script.
    RedisArgs a = script_args(RedisScript::list_users, now_us());
    a.add(q.role ? role_digit(*q.role) : "").add(q.is_active ? bool_digit(*q.is_active) : "");
    a.add(static_cast<int64_t>(std::min<size_t>(q.offset, max_page_bound)));
    a.add(static_cast<int64_t>(std::min<size_t>(q.limit, max_page_bound)));
    co_return co_await script<UserPage>(RedisScript::list_users, std::move(a), decode_page);
}

// A search: bring this instance's copy of the search blobs up to date (only changed blobs
// travel), scan it here, then fetch the page's users.
Task<Result<UserPage>> RedisStore::search_users(UserQuery q) {
    std::optional<std::string> needle = search_needle(q.search);
    if (!needle) co_return UserPage{};  // a control character matches no user
    RedisArgs sync = script_args(RedisScript::text_sync, now_us());
    sync.add(search_cache_.known_versions());
    Result<RedisTextSync> changed =
        co_await script<RedisTextSync>(RedisScript::text_sync, std::move(sync), decode_sync);
    if (!changed) co_return Answer::unavailable;
    search_cache_.apply(std::move(*changed));
    RedisSearchCache::Hits hits =
        search_cache_.search(*needle, q.role, q.is_active, q.offset, q.limit);
    UserPage page;
    page.total = hits.total;
    if (hits.ids.empty()) co_return page;
    RedisArgs get = script_args(RedisScript::get_users, now_us());
    for (int64_t id : hits.ids) get.add(id);
    Result<std::vector<User>> users =
        co_await script<std::vector<User>>(RedisScript::get_users, std::move(get), decode_users);
    if (!users) co_return Answer::unavailable;
    page.items = std::move(*users);
    co_return page;
}

Task<Result<size_t>> RedisStore::count_users() {
    RedisArgs a;
    a.add("ZCARD").add(key("ids", ""));
    co_return co_await command<size_t>(std::move(a), decode_size);
}

// ---- sessions ----------------------------------------------------------------------------------

Task<Done> RedisStore::create_session(Session s) {
    if (s.sid.empty()) co_return Answer::refused;
    RedisArgs a = script_args(RedisScript::create_session, now_us());
    a.add(s.sid).add(s.user_id).add(s.refresh_jti).add(s.expires_at);
    co_return co_await script<void>(RedisScript::create_session, std::move(a), decode_refusable);
}

Task<Result<RotateResult>> RedisStore::rotate_refresh(std::string sid, std::string presented_jti,
                                                      std::string new_jti, int64_t new_expires_at) {
    RedisArgs a = script_args(RedisScript::rotate_refresh, now_us());
    a.add(sid).add(presented_jti).add(new_jti).add(new_expires_at);
    co_return co_await script<RotateResult>(RedisScript::rotate_refresh, std::move(a),
                                            decode_rotate);
}

Task<Result<RevokeResult>> RedisStore::revoke_session(std::string sid) {
    RedisArgs a = script_args(RedisScript::revoke_session, now_us());
    a.add(sid);
    co_return co_await script<RevokeResult>(RedisScript::revoke_session, std::move(a),
                                            decode_revoke);
}

Task<Result<Session>> RedisStore::find_session(std::string sid) {
    RedisArgs a;
    a.add("HMGET").add(key("session:", sid)).add("user_id").add("jti").add("expires_at");
    a.add("revoked");
    Result<Session> s = co_await command<Session>(std::move(a), decode_session_reply);
    if (s && s->expires_at <= now_us() / 1000000) co_return Answer::not_found;
    if (s) s->sid = std::move(sid);
    co_return s;
}

// ---- login throttling --------------------------------------------------------------------------

Task<Result<LoginFailures>> RedisStore::login_failures(std::string k) {
    RedisArgs a;
    a.add("HMGET").add(key("fail:", k)).add("count").add("ends_us");
    Result<FailureWindow> w = co_await command<FailureWindow>(std::move(a), decode_failures);
    if (!w) co_return Answer::unavailable;
    co_return failures_at(*w, now_us());
}

Task<Result<LoginFailures>> RedisStore::reserve_login_attempt(std::string k, uint32_t max,
                                                              int64_t window_seconds) {
    int64_t now = now_us();
    RedisArgs a = script_args(RedisScript::record_failure, now);
    a.add(k).add(window_seconds).add(static_cast<int64_t>(max));
    Result<FailureWindow> w =
        co_await script<FailureWindow>(RedisScript::record_failure, std::move(a), decode_failures);
    if (!w) co_return Answer::unavailable;
    LoginFailures f = failures_at(*w, now);
    if (!w->reserved) co_return Result<LoginFailures>(Answer::refused, f);
    co_return f;
}

Task<Done> RedisStore::release_login_attempt(std::string k) {
    RedisArgs a = script_args(RedisScript::release_attempt, now_us());
    a.add(k);
    Result<int64_t> left =
        co_await script<int64_t>(RedisScript::release_attempt, std::move(a), decode_int);
    co_return left ? Done{} : Done{Answer::unavailable};
}

Task<Done> RedisStore::clear_login_failures(std::string k) {
    RedisArgs a;
    a.add("DEL").add(key("fail:", k));
    co_return co_await command<void>(std::move(a), decode_any);
}

// ---- audit -------------------------------------------------------------------------------------

Task<Done> RedisStore::append_audit(AuditRecord record) {
    RedisArgs a = script_args(RedisScript::append_audit, now_us());
    a.add(record.target_id).add(encode_audit(record));
    co_return co_await script<void>(RedisScript::append_audit, std::move(a), decode_any);
}

Task<Result<std::vector<AuditRecord>>> RedisStore::audit_for(int64_t target_id) {
    RedisArgs a;
    a.add("LRANGE").add(key("audit:", target_id)).add("0").add("-1");
    co_return co_await command<std::vector<AuditRecord>>(std::move(a), decode_audits);
}

// ---- mail outbox -------------------------------------------------------------------------------

Task<Result<int64_t>> RedisStore::enqueue_mail(OutboxMail m) {
    RedisArgs a = script_args(RedisScript::enqueue_mail, now_us());
    a.add(m.to).add(m.subject).add(m.text_body).add(m.html_body).add(m.next_attempt_us);
    co_return co_await script<int64_t>(RedisScript::enqueue_mail, std::move(a), decode_int);
}

Task<Result<std::vector<OutboxMail>>> RedisStore::due_mail(int64_t now, size_t max) {
    RedisArgs a = script_args(RedisScript::due_mail, now_us());
    a.add(now).add(static_cast<int64_t>(std::min<size_t>(max, max_page_bound)));
    a.add(static_cast<int64_t>(options_.mail_lease.count()) * 1000);
    co_return co_await script<std::vector<OutboxMail>>(RedisScript::due_mail, std::move(a),
                                                       decode_mails);
}

Task<Done> RedisStore::mail_sent(int64_t id) {
    RedisArgs a = script_args(RedisScript::remove_mail, now_us());
    a.add(id);
    co_return co_await script<void>(RedisScript::remove_mail, std::move(a), decode_done);
}

Task<Done> RedisStore::mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us) {
    RedisArgs a = script_args(RedisScript::retry_mail, now_us());
    a.add(id).add(static_cast<int64_t>(attempts)).add(next_attempt_us);
    co_return co_await script<void>(RedisScript::retry_mail, std::move(a), decode_done);
}

Task<Done> RedisStore::mail_dropped(int64_t id) {
    co_return co_await mail_sent(id);  // the same removal
}

// ---- validation and health ---------------------------------------------------------------------

Task<Result<ValidationState>> RedisStore::load_validation_state() {
    RedisArgs a = script_args(RedisScript::validation_state, now_us());
    co_return co_await script<ValidationState>(RedisScript::validation_state, std::move(a),
                                               decode_state);
}

namespace {
struct ClientList {
    bool ok = false;
    std::vector<std::string> instances;
};
ClientList decode_client_list(const redisReply* r) {
    if (r->type != REDIS_REPLY_STRING) return ClientList{};
    return ClientList{true, instances_in_client_list(reply_view(r))};
}
}  // namespace

Task<void> RedisStore::release_dead_leases() {
    if (client_list_refused_.load(std::memory_order_relaxed)) co_return;
    RedisArgs list;
    list.add("CLIENT").add("LIST");
    const ClientList none;  // RedisCall keeps a reference to it
    RedisCall<ClientList> call(RedisConnection::for_this_thread(endpoint_), list,
                               decode_client_list, none);
    ClientList live = co_await call;
    if (call.status() == RedisCallStatus::error) {
        client_list_refused_.store(true, std::memory_order_relaxed);
        core::log_warn(
            "redis",
            "CLIENT LIST is refused: mails held by a stopped instance wait out their lease",
            {{"error", call.error()}});
        co_return;
    }
    if (!live.ok) co_return;
    // CLIENT LIST only sees the clients of the node that answered: on a Redis Cluster whose
    // slot just moved, instances already on the new owner would look dead. Try next round.
    if (call.connection()->address() != endpoint_->target()) co_return;
    RedisArgs a = script_args(RedisScript::release_leases, now_us());
    for (const std::string& instance : live.instances) a.add(instance);
    Result<int64_t> released =
        co_await script<int64_t>(RedisScript::release_leases, std::move(a), decode_int);
    if (released && *released > 0) {
        core::log_info("redis", "released mails claimed by instances that stopped",
                       {{"mails", std::to_string(*released)}});
    }
}

Task<Done> RedisStore::ping() {
    RedisArgs a;
    a.add("GET").add(redis_epoch_key);
    Result<std::string> epoch = co_await command<std::string>(std::move(a), decode_epoch);
    if (!epoch) co_return Answer::unavailable;
    note_data_lost(*epoch != epoch_);
    if (*epoch != epoch_ || feed_stale()) co_return Answer::unavailable;
    co_return Done{};
}

// ---- signing keys ----------------------------------------------------------------------------

namespace {
Result<std::string> decode_keys(const redisReply* r) {
    if (r->type == REDIS_REPLY_NIL) return Answer::not_found;
    return std::string(reply_view(r));
}
constexpr std::string_view replace_keys_lua =
    "local c = redis.call('GET', KEYS[1]) or '' "
    "if c ~= ARGV[1] then return 0 end redis.call('SET', KEYS[1], ARGV[2]) return 1";
}  // namespace

Task<Result<std::string>> RedisStore::load_signing_keys() {
    RedisArgs a;
    a.add("GET").add(redis_signing_keys_key);
    co_return co_await command<std::string>(std::move(a), decode_keys);
}

Task<Done> RedisStore::replace_signing_keys(std::string expected, std::string sealed) {
    RedisArgs a;
    a.add("EVAL").add(replace_keys_lua).add("1").add(redis_signing_keys_key);
    a.add(expected).add(sealed);
    Result<int64_t> done = co_await command<int64_t>(std::move(a), decode_int);
    if (!done) co_return done.answer();
    co_return *done == 1 ? Done{} : Done{Answer::refused};
}

}  // namespace authd::store

namespace authd::store {
// store/redis_import.cpp and store/redis_create_user.cpp call script<> with their reply types.
template Task<Result<std::vector<ImportStatus>>> RedisStore::script<std::vector<ImportStatus>>(
    RedisScript, RedisArgs, Result<std::vector<ImportStatus>> (*)(const redisReply*));
template Task<Result<CreateReply>> RedisStore::script<CreateReply>(
    RedisScript, RedisArgs, Result<CreateReply> (*)(const redisReply*));
template Task<Result<int64_t>> RedisStore::script<int64_t>(RedisScript, RedisArgs,
                                                           Result<int64_t> (*)(const redisReply*));
}  // namespace authd::store
