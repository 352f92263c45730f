// RedisStore: the `redis://host:port[/db]` backend, so that several authd processes serve
// one user base. Every method runs on the calling loop's own Redis connection (one per loop
// thread, see RedisConnection) and resumes on that loop. Changes that must be atomic are Lua
// scripts (redis_scripts.hpp, which also documents the keys); the scripts that revoke,
// bump a token version or remove a user PUBLISH it, and one subscriber per instance
// (RedisSubscriber) hands what other instances published to the ChangeListener.
//
// Durability: a write is acknowledged when Redis answered it, so with `appendonly yes` and
// `appendfsync always` an acknowledged write survives a Redis crash (everysec: up to ~1 s
// may be lost). When Redis is unreachable, too slow (command timeout, 2 s by default) or
// refuses a command, the call answers unavailable. While a connection is down, calls fail
// at once; it reconnects on use after a backoff (100 ms doubling to 5 s).
//
// Shared outbox: due_mail leases what it returns (RedisStoreOptions::mail_lease) so that the
// senders of several instances never send one mail at once. create_user with a composer
// reserves the id first and composes before the create script runs, so in a lost race the
// composer may have run for a user that is then not created (its mail is discarded).
//
// Data loss: at first start the store writes a random epoch into Redis; every write script
// checks it. If Redis comes back empty (restarted without persistence, or flushed), writes
// are refused, ping() answers false (GET /readyz 503) and an error is logged, until Redis
// is restored or every instance is restarted (which starts a new, empty store).
#pragma once
#include <hiredis/hiredis.h>

#include <array>
#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "core/clock.hpp"
#include "store/redis_endpoint.hpp"
#include "store/redis_id_pool.hpp"
#include "store/redis_scripts.hpp"
#include "store/redis_search_cache.hpp"
#include "store/store.hpp"

namespace authd::store {

class RedisSubscriber;
class RedisConnection;
class RedisArgs;
template <class T>
class RedisCall;

struct RedisStoreOptions {
    // Wall clock in microseconds (tests move time forward); defaults to core::wall_micros.
    // Expiry decisions use it; Redis TTLs only collect garbage.
    std::function<int64_t()> clock_us;
    core::Millis command_timeout{2000};
    core::Millis open_timeout{3000};  // connecting and preparing the scripts at open()
    bool subscribe = true;            // run the change subscriber (needed by a server)
    // due_mail claims the mails it returns for this long, so that two instances never send
    // one mail at once (longer than a send can take). Zero: a plain read, as the embedded store.
    core::Millis mail_lease{60000};
    // How often the subscriber releases what stopped instances held (release_dead_leases).
    core::Millis housekeeping_period{5000};
    // A change subscription down longer than this makes ping() (GET /readyz) answer
    // unavailable: this instance may be missing other instances' revocations.
    core::Millis feed_grace{2000};
};

class RedisStore final : public Store {
  public:
    // Parses the URL, connects (bounded by open_timeout), selects the db, prepares the
    // scripts and the epoch, and starts the subscriber. nullptr with a clear `error` when
    // Redis cannot be reached or refuses.
    static std::unique_ptr<RedisStore> open(const std::string& url,
                                            const RedisStoreOptions& options, std::string& error);
    ~RedisStore() override;

    void set_change_listener(ChangeListener* listener) override;

    Task<Result<CreateUserResult>> create_user(User user, MailComposer mail) override;
    Task<Result<User>> find_user(int64_t id) override;
    Task<Result<User>> find_user_by_username(std::string username) override;
    Task<Result<User>> find_user_by_email(std::string email) override;
    Task<Result<User>> update_user(int64_t id, UserPatch patch) override;
    Task<Done> delete_user(int64_t id, DeleteIf when = DeleteIf::always) override;
    Task<Result<UserPage>> list_users(UserQuery query) override;
    Task<Result<size_t>> count_users() override;
    // In store/redis_import.cpp.
    Task<Result<std::vector<ImportStatus>>> import_users(std::vector<User> users,
                                                         bool dry_run) override;

    Task<Done> create_session(Session session) override;
    Task<Result<RotateResult>> rotate_refresh(std::string sid, std::string presented_jti,
                                              std::string new_jti, int64_t new_expires_at) override;
    Task<Result<RevokeResult>> revoke_session(std::string sid) override;
    Task<Result<Session>> find_session(std::string sid) override;

    Task<Result<LoginFailures>> login_failures(std::string key) override;
    Task<Result<LoginFailures>> reserve_login_attempt(std::string key, uint32_t max,
                                                      int64_t window_seconds) override;
    Task<Done> release_login_attempt(std::string key) override;
    Task<Done> clear_login_failures(std::string key) override;

    Task<Done> append_audit(AuditRecord record) override;
    Task<Result<std::vector<AuditRecord>>> audit_for(int64_t target_id) override;

    Task<Result<int64_t>> enqueue_mail(OutboxMail mail) override;
    Task<Result<std::vector<OutboxMail>>> due_mail(int64_t now_us, size_t max) override;
    Task<Done> mail_sent(int64_t id) override;
    Task<Done> mail_retry(int64_t id, uint32_t attempts, int64_t next_attempt_us) override;
    Task<Done> mail_dropped(int64_t id) override;

    Task<Result<ValidationState>> load_validation_state() override;
    // ok when Redis answers and still holds this store's data (its epoch).
    Task<Result<std::string>> load_signing_keys() override;
    Task<Done> replace_signing_keys(std::string expected, std::string sealed) override;
    Task<Done> ping() override;

    // authd_store_redis_*: subscription, lost data, connects, timeouts, failed calls.
    void append_metrics(std::string& out) const override;

    // Stops the subscriber; connections of loop threads are dropped as they go idle.
    void close() override;

    // Mails claimed by instances that are gone (not in CLIENT LIST any more) are due again.
    // The subscriber runs it every few seconds; at open it runs once, synchronously.
    Task<void> release_dead_leases();  // best effort: the next round tries again

    // Whether the last look found Redis without this store's data (see above).
    bool data_lost() const { return data_lost_.load(std::memory_order_relaxed); }
    bool subscribed() const;
    // The change subscription has been down longer than options.feed_grace.
    bool feed_stale() const;
    const std::string& origin() const { return origin_; }

  private:
    RedisStore(RedisStoreOptions options, std::shared_ptr<const RedisEndpoint> endpoint,
               std::string epoch, std::string origin);

    int64_t now_us() const { return options_.clock_us(); }
    Task<Result<UserPage>> search_users(UserQuery query);
    // An id for a signup whose mail needs it before the create: from the pool, refilled with
    // one reserve call per RedisIdPool::block signups.
    Task<Result<int64_t>> reserved_id(int64_t now);
    RedisArgs create_args(const User& user, int64_t now, const std::string& reserved,
                          const std::optional<OutboxMail>& mail) const;
    RedisArgs script_args(RedisScript script, int64_t now_us) const;
    // One command or script; unavailable when it got no answer or an error reply, else
    // what `decode` made of the reply.
    template <class T>
    Task<Result<T>> command(RedisArgs args, Result<T> (*decode)(const redisReply*));
    template <class T>
    Task<Result<T>> script(RedisScript script, RedisArgs args,
                           Result<T> (*decode)(const redisReply*));
    template <class T>
    void note(const RedisCall<T>& call, std::string_view what);
    void note_data_lost(bool lost);
    bool log_allowed();

    RedisStoreOptions options_;
    std::shared_ptr<const RedisEndpoint> endpoint_;
    std::string epoch_;   // the random marker this store's data carries in Redis
    std::string origin_;  // this instance's id in published changes
    std::array<std::string, static_cast<size_t>(RedisScript::count)> sha_;
    std::array<std::string, static_cast<size_t>(RedisScript::count)> source_;
    RedisSearchCache search_cache_;  // shared by the loops (locks inside)
    RedisIdPool ids_;                // ids reserved for signups with a mail (create_user)
    std::unique_ptr<RedisSubscriber> subscriber_;
    std::atomic<bool> data_lost_{false};
    std::atomic<int64_t> last_log_us_{0};
    std::atomic<bool> client_list_refused_{false};  // CLIENT LIST disabled: leases just expire
    std::atomic<uint64_t> unavailable_calls_{0};    // no answer: down, backing off, timed out
    std::atomic<uint64_t> refused_calls_{0};        // error replies (lost data, READONLY, ...)
    bool closed_ = false;
};

// AUTHD_STORE=redis://... with the default options.
std::unique_ptr<Store> open_redis_store(const std::string& url, std::string& error);

}  // namespace authd::store
