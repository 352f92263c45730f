// RedisStore::open: the synchronous, bounded start-up talk with Redis (reachability, AUTH,
// SELECT, the store's epoch, loading the scripts, a look at the persistence settings),
// before any loop runs. On a Redis Cluster it follows MOVED to the node owning the {authd}
// slot, so the scripts are loaded and the leases released where the data is.
#include <signal.h>
#include <sys/random.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <optional>
#include <string_view>
#include <vector>

#include "core/log.hpp"
#include "store/redis_codec.hpp"
#include "store/redis_connection.hpp"
#include "store/redis_store.hpp"
#include "store/redis_subscriber.hpp"

namespace authd::store {
namespace {

using ReplyPtr = std::unique_ptr<redisReply, decltype(&freeReplyObject)>;

std::string random_hex(size_t bytes) {
    std::vector<unsigned char> buf(bytes);
    size_t got = 0;
    while (got < bytes) {
        ssize_t n = getrandom(buf.data() + got, bytes - got, 0);
        if (n > 0) got += static_cast<size_t>(n);
    }
    static const char digits[] = "0123456789abcdef";
    std::string out;
    for (unsigned char b : buf) {
        out += digits[b >> 4];
        out += digits[b & 15];
    }
    return out;
}

// A blocking hiredis connection with a timeout on every reply; used at open only.
class SyncRedis {
  public:
    SyncRedis(RedisAddress where, std::string shown, core::Millis timeout)
        : where_(std::move(where)), shown_(std::move(shown)), timeout_(timeout) {
        timeval tv{static_cast<time_t>(timeout.count() / 1000),
                   static_cast<suseconds_t>((timeout.count() % 1000) * 1000)};
        ctx_ = redisConnectWithTimeout(where_.host.c_str(), where_.port, tv);
        if (ctx_ && !ctx_->err) redisSetTimeout(ctx_, tv);
    }
    SyncRedis(const SyncRedis&) = delete;
    SyncRedis& operator=(const SyncRedis&) = delete;
    ~SyncRedis() {
        if (ctx_) redisFree(ctx_);
    }

    bool connected(std::string& error) const {
        if (ctx_ && !ctx_->err) return true;
        error = "cannot reach Redis at " + shown_ + ": " + (ctx_ ? ctx_->errstr : "out of memory") +
                " (is redis-server running and listening there?)";
        return false;
    }

    // nullptr with `error` set when there is no answer or the answer is an error.
    ReplyPtr run(const std::vector<std::string>& args, std::string& error) {
        std::vector<const char*> argv;
        std::vector<size_t> lens;
        for (const auto& a : args) {
            argv.push_back(a.data());
            lens.push_back(a.size());
        }
        auto* raw = static_cast<redisReply*>(
            redisCommandArgv(ctx_, static_cast<int>(argv.size()), argv.data(), lens.data()));
        ReplyPtr reply(raw, freeReplyObject);
        if (!reply) {
            error = "Redis at " + shown_ + " did not answer " + args[0] + " within " +
                    std::to_string(timeout_.count()) + " ms (" +
                    (ctx_->errstr[0] ? ctx_->errstr : "no reply") + ")";
            return ReplyPtr(nullptr, freeReplyObject);
        }
        if (reply->type == REDIS_REPLY_ERROR) {
            std::string_view text(reply->str, reply->len);
            error = "Redis at " + shown_ + " refused " + args[0] + ": " + std::string(text);
            moved_ = parse_moved(text);
            return ReplyPtr(nullptr, freeReplyObject);
        }
        return reply;
    }

    // Set when the last refusal was a Redis Cluster MOVED.
    const std::optional<RedisRedirect>& moved() const { return moved_; }
    const RedisAddress& address() const { return where_; }
    const std::string& shown() const { return shown_; }

  private:
    RedisAddress where_;
    std::optional<RedisRedirect> moved_;
    redisContext* ctx_ = nullptr;
    std::string shown_;
    core::Millis timeout_;
};

std::string config_value(SyncRedis& redis, const char* name) {
    std::string ignored;
    ReplyPtr r = redis.run({"CONFIG", "GET", name}, ignored);
    if (!r || r->type != REDIS_REPLY_ARRAY || r->elements < 2 || !r->element[1]->str) return {};
    return std::string(r->element[1]->str, r->element[1]->len);
}

// Warns about settings that can lose acknowledged writes. CONFIG may be disabled (managed
// Redis): then nothing is said.
void check_persistence(SyncRedis& redis) {
    std::string aof = config_value(redis, "appendonly");
    std::string fsync = config_value(redis, "appendfsync");
    std::string policy = config_value(redis, "maxmemory-policy");
    if (aof == "no") {
        core::log_warn(
            "redis",
            "Redis runs without the append-only file (appendonly no): a Redis crash "
            "loses acknowledged signups, password changes and revocations; set appendonly yes");
    } else if (aof == "yes" && fsync != "always") {
        core::log_warn("redis",
                       "Redis appendfsync is not 'always': a Redis crash can lose about the last "
                       "second of acknowledged writes",
                       {{"appendfsync", fsync}});
    }
    if (!policy.empty() && policy != "noeviction") {
        core::log_warn(
            "redis",
            "Redis may evict keys under memory pressure (users and sessions would vanish); "
            "set maxmemory-policy noeviction",
            {{"maxmemory-policy", policy}});
    }
}

// The instances with a connection to Redis now (CLIENT SETNAME authd-<instance>); nullopt
// when CLIENT LIST is not allowed (then leases simply run out).
std::optional<std::vector<std::string>> live_instances(SyncRedis& redis) {
    std::string ignored;
    ReplyPtr r = redis.run({"CLIENT", "LIST"}, ignored);
    if (!r || r->type != REDIS_REPLY_STRING) return std::nullopt;
    return instances_in_client_list(std::string_view(r->str, r->len));
}

// Mails claimed by an instance that is gone (killed before it sent them) are due again now.
void release_leases_at_open(SyncRedis& redis, const std::vector<std::string>& eval_prefix) {
    std::optional<std::vector<std::string>> live = live_instances(redis);
    if (!live) return;
    std::vector<std::string> args = eval_prefix;
    args.insert(args.end(), live->begin(), live->end());
    std::string error;
    ReplyPtr r = redis.run(args, error);
    if (!r) {
        core::log_warn("redis", "could not release the mail leases of stopped instances",
                       {{"error", error}});
    } else if (r->type == REDIS_REPLY_INTEGER && r->integer > 0) {
        core::log_info("redis", "released mails claimed by instances that stopped",
                       {{"mails", std::to_string(r->integer)}});
    }
}

bool mentions_cluster(std::string_view text) {
    std::string lower(text);
    std::transform(lower.begin(), lower.end(), lower.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return lower.find("cluster") != std::string::npos;
}

// A blocking connection to the endpoint's target, authenticated and on the URL's database.
std::unique_ptr<SyncRedis> connect_sync(const RedisEndpoint& endpoint, core::Millis timeout,
                                        std::string& error) {
    RedisAddress where = endpoint.target();
    std::string shown =
        where == endpoint.seed() ? redacted_redis_url(endpoint.url) : format_redis_address(where);
    auto redis = std::make_unique<SyncRedis>(where, shown, timeout);
    if (!redis->connected(error)) return nullptr;
    const RedisUrl& u = endpoint.url;
    if (!u.password.empty()) {
        std::vector<std::string> auth{"AUTH"};
        if (!u.username.empty()) auth.push_back(u.username);
        auth.push_back(u.password);
        if (!redis->run(auth, error)) return nullptr;
    }
    if (u.db != 0 && !redis->run({"SELECT", std::to_string(u.db)}, error)) {
        // "ERR SELECT is not allowed in cluster mode": say what to change.
        if (mentions_cluster(error)) {
            error = "Redis at " + shown + " is a Redis Cluster node: a Cluster has only database " +
                    "0, so the store URL must not name database " + std::to_string(u.db) +
                    " (use redis://host:port or .../0; " + error + ")";
        }
        return nullptr;
    }
    return redis;
}

struct Epoch {
    std::string value;
    bool created = false;  // this start wrote it: a new store
};

// Reads the store's epoch, writing one first when this Redis holds no authd store yet.
// nullopt with `error`; redis.moved() then tells whether another Cluster node owns it.
std::optional<Epoch> read_epoch(SyncRedis& redis, std::string& error) {
    std::string fresh = random_hex(16);
    ReplyPtr set = redis.run({"SET", std::string(redis_epoch_key), fresh, "NX"}, error);
    if (!set) return std::nullopt;
    Epoch out;
    out.created = set->type == REDIS_REPLY_STATUS;
    ReplyPtr got = redis.run({"GET", std::string(redis_epoch_key)}, error);
    if (!got) return std::nullopt;
    if (got->type != REDIS_REPLY_STRING) {
        error =
            "Redis at " + redis.shown() + " lost the store's epoch key while authd was starting";
        return std::nullopt;
    }
    out.value.assign(got->str, got->len);
    return out;
}

// Connects and reads the epoch, following MOVED (a few hops at most: the owner answers
// itself) to the node that owns the {authd} slot. That node stays the endpoint's target.
std::unique_ptr<SyncRedis> open_at_owner(const RedisEndpoint& endpoint, core::Millis timeout,
                                         Epoch& epoch, std::string& error) {
    constexpr int max_redirects = 3;
    for (int hop = 0;; ++hop) {
        std::unique_ptr<SyncRedis> redis = connect_sync(endpoint, timeout, error);
        if (!redis) return nullptr;
        std::optional<Epoch> got = read_epoch(*redis, error);
        if (got) {
            epoch = std::move(*got);
            return redis;
        }
        const std::optional<RedisRedirect>& moved = redis->moved();
        if (!moved) return nullptr;
        if (hop == max_redirects) {
            error += " (still redirected after " + std::to_string(max_redirects) +
                     " hops: is the Redis Cluster resharding or failing over?)";
            return nullptr;
        }
        if (!endpoint.redirect(*moved, redis->address())) {
            error += " (the redirect names an unusable address)";
            return nullptr;
        }
    }
}

}  // namespace

std::unique_ptr<RedisStore> RedisStore::open(const std::string& url, const RedisStoreOptions& given,
                                             std::string& error) {
    RedisStoreOptions options = given;
    if (!options.clock_us) options.clock_us = [] { return core::wall_micros(); };
    // hiredis writes with write(2): a Redis that went away would raise SIGPIPE and kill the
    // process. `serve` ignores it already; so must every other user of this store.
    struct sigaction current {};
    if (sigaction(SIGPIPE, nullptr, &current) == 0 && current.sa_handler == SIG_DFL)
        signal(SIGPIPE, SIG_IGN);
    std::optional<RedisUrl> parsed = parse_redis_url(url, error);
    if (!parsed) return nullptr;
    auto endpoint = std::make_shared<RedisEndpoint>();
    endpoint->url = *parsed;
    endpoint->command_timeout = options.command_timeout;
    std::string origin = random_hex(8);
    endpoint->client_name = "authd-" + origin;
    std::string shown = redacted_redis_url(endpoint->url);
    if (!resolve_redis_host(endpoint->url, error)) return nullptr;

    Epoch opened;
    std::unique_ptr<SyncRedis> owner =
        open_at_owner(*endpoint, options.open_timeout, opened, error);
    if (!owner) return nullptr;
    SyncRedis& redis = *owner;
    const bool created = opened.created;
    std::string epoch = std::move(opened.value);
    if (created) {
        std::string ignored;
        ReplyPtr users =
            redis.run({"EXISTS", std::string(redis_key_prefix) + "next_user_id"}, ignored);
        bool had_data = users && users->type == REDIS_REPLY_INTEGER && users->integer > 0;
        core::log(had_data ? core::LogLevel::warn : core::LogLevel::info, "redis",
                  had_data
                      ? "Redis held authd data without an epoch key; adopting it under a new epoch"
                      : "initialised a new, empty authd store in Redis",
                  {{"redis", shown}});
    }

    std::unique_ptr<RedisStore> store(new RedisStore(options, endpoint, epoch, origin));
    for (size_t i = 0; i < static_cast<size_t>(RedisScript::count); ++i) {
        store->source_[i] = redis_script_source(static_cast<RedisScript>(i));
        ReplyPtr sha = redis.run({"SCRIPT", "LOAD", store->source_[i]}, error);
        if (!sha) return nullptr;
        store->sha_[i] = std::string(sha->str, sha->len);
    }
    check_persistence(redis);
    RedisArgs release = store->script_args(RedisScript::release_leases, options.clock_us());
    std::vector<std::string> prefix;
    for (size_t i = 0; i < release.size(); ++i) prefix.push_back(release[i]);
    release_leases_at_open(redis, prefix);

    if (options.subscribe) {
        RedisStore* self = store.get();
        store->subscriber_ = std::make_unique<RedisSubscriber>(
            endpoint, [self] { return self->load_validation_state(); },
            [self] { return self->release_dead_leases(); }, options.housekeeping_period);
        if (!store->subscriber_->start(error)) return nullptr;
    }
    core::log_info("redis", "Redis store opened",
                   {{"redis", shown},
                    {"node", format_redis_address(endpoint->target())},
                    {"instance", store->origin_},
                    {"new_store", created ? "true" : "false"}});
    return store;
}

std::unique_ptr<Store> open_redis_store(const std::string& url, std::string& error) {
    return RedisStore::open(url, RedisStoreOptions{}, error);
}

}  // namespace authd::store
